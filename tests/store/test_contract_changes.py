"""The live feed's contract on both adapters: changes after a cursor, in commit order, none missed."""

from __future__ import annotations

import pytest

from cargotrail.contract import make_container_id, reading_id
from cargotrail.errors import ValidationError
from store.base import AlertStatus, TriageAction, parse_cursor
from tests.conftest import reading
from tests.store.test_contract import BOX, alert
from tests.store.test_contract_queries import ENTER, ev

OTHER = make_container_id("MSC", 42)


def fix(box: str, seq: int, minutes: float, lat: float = 1.0):
    r = reading(box, seq=seq, minutes=minutes, lat=lat)
    return [r], [reading_id(r.device_id, r.seq)]


def write_a_day(store) -> None:
    store.write_readings(*fix(BOX, 1, 0))
    store.write_events([ev(1, ENTER, BOX, "T1", 1)])
    store.write_alerts([alert(1)])
    store.write_readings(*fix(OTHER, 1, 2))


def test_changes_come_in_commit_order_with_increasing_cursors(store):
    start = store.change_head()
    write_a_day(store)
    changes = store.changes_after(start)
    assert [(c.kind, c.container_id) for c in changes] == [
        ("position", BOX),
        ("geofence", BOX),
        ("alert", BOX),
        ("position", OTHER),
    ]
    cursors = [parse_cursor(c.cursor) for c in changes]
    assert cursors == sorted(cursors) and len(set(cursors)) == 4
    assert changes[0].position is not None and changes[0].position.lat == 1.0
    assert changes[1].event is not None and changes[1].event.event_id == "e1"
    assert changes[2].alert is not None and changes[2].alert.status is AlertStatus.OPEN
    assert store.changes_after(changes[-1].cursor) == []


def test_resuming_from_any_cursor_misses_nothing_and_repeats_nothing(store):
    start = store.change_head()
    write_a_day(store)
    everything = store.changes_after(start)
    paged, cursor = [], start
    while page := store.changes_after(cursor, limit=1):
        paged += page
        cursor = page[-1].cursor
    assert paged == everything
    assert store.changes_after(everything[1].cursor) == everything[2:]


def test_a_moved_position_and_a_triaged_alert_come_again_in_their_newest_state(store):
    write_a_day(store)
    head = store.change_head()
    store.write_readings(*fix(BOX, 2, 10, lat=5.0))
    store.write_readings(*fix(BOX, 0, -10, lat=9.0))  # an older fix: the position does not move
    store.triage("a1", TriageAction.ACKNOWLEDGE, "Ana")
    store.triage("a1", TriageAction.ASSIGN, "Ana", assignee="patrol 3")
    changes = store.changes_after(head)
    assert [c.kind for c in changes] == ["position", "alert"]
    assert changes[0].position is not None and changes[0].position.lat == 5.0
    row = changes[1].alert
    assert row is not None and row.status is AlertStatus.ASSIGNED and row.assignee == "patrol 3"
    assert row.updated_ts is not None


def test_the_head_is_now(store):
    write_a_day(store)
    head = store.change_head()
    assert store.changes_after(head) == []
    store.write_alerts([alert(2)])
    assert [c.alert.alert.alert_id for c in store.changes_after(head) if c.alert] == ["a2"]


@pytest.mark.parametrize("bad", ["", "7", "1.2.3", "-1.0", "a.b", "01.2", "1.99999999999999999999"])
def test_a_malformed_cursor_is_refused_naming_it(store, bad):
    with pytest.raises(ValidationError) as err:
        store.changes_after(bad)
    assert err.value.field == "cursor"


@pytest.mark.integration
def test_postgres_holds_back_changes_behind_a_transaction_still_open(pg_store):
    writer, other = pg_store(), pg_store()
    head = other.change_head()
    with writer.unit_of_work():
        writer.write_alerts([alert(1)])  # its transaction began first and commits last
        other.write_alerts([alert(2)])
        assert other.changes_after(head) == []  # a2 is committed but could sort after a1: wait
    ids = [c.alert.alert.alert_id for c in other.changes_after(head) if c.alert]
    assert ids == ["a1", "a2"]
