"""Retention of the live feed's change log on both adapters: the oldest changes go, a cursor older than
what is kept is refused as expired (never a silent gap), later cursors lose nothing."""

from __future__ import annotations

import pytest

from cargotrail.errors import ValidationError
from store.base import CursorExpired, parse_cursor
from store.readthrough import ReadThrough
from tests.store.test_contract import BOX, alert
from tests.store.test_contract_changes import OTHER, fix, write_a_day


def test_pruning_keeps_the_newest_changes_and_expires_older_cursors(store):
    start = store.change_head()
    write_a_day(store)  # four changes
    everything = store.changes_after(start)
    assert store.prune_changes(keep=2) == 2
    with pytest.raises(CursorExpired) as err:
        store.changes_after(start)
    assert err.value.field == "cursor" and err.value.record == start
    assert err.value.horizon == everything[1].cursor and "resync" in str(err.value)
    with pytest.raises(CursorExpired):
        store.changes_after(everything[0].cursor)
    assert store.changes_after(everything[1].cursor) == everything[2:]  # the horizon itself is fine
    assert store.changes_after(everything[2].cursor) == everything[3:]


def test_an_expired_cursor_is_a_validation_error_of_the_cursor(store):
    write_a_day(store)
    store.prune_changes(keep=1)
    with pytest.raises(ValidationError):  # callers that handle bad cursors handle this one too
        store.changes_after("0.0")


def test_pruning_within_the_window_drops_nothing(store):
    start = store.change_head()
    write_a_day(store)
    assert store.prune_changes(keep=4) == 0
    assert store.prune_changes(keep=100) == 0
    assert len(store.changes_after(start)) == 4


def test_changes_after_a_prune_keep_coming_from_the_head(store):
    write_a_day(store)
    store.prune_changes(keep=1)
    head = store.change_head()
    assert store.changes_after(head) == []
    store.write_alerts([alert(2)])
    store.write_readings(*fix(OTHER, 2, 5, lat=3.0))  # a pruned position comes back when it moves
    got = store.changes_after(head)
    assert [c.kind for c in got] == ["alert", "position"]
    assert got[1].position is not None and got[1].position.lat == 3.0


def test_the_horizon_only_moves_forward(store):
    start = store.change_head()
    write_a_day(store)
    cursors = [c.cursor for c in store.changes_after(start)]
    store.prune_changes(keep=1)
    assert store.prune_changes(keep=3) == 0  # fewer left than that: nothing to do, horizon unchanged
    with pytest.raises(CursorExpired) as err:
        store.changes_after(cursors[1])
    assert err.value.horizon == cursors[2]
    assert store.changes_after(cursors[2])[0].cursor == cursors[3]
    assert parse_cursor(store.change_head()) >= parse_cursor(cursors[3])


def test_the_pruned_state_is_seen_by_another_connection(reopen):
    writer, reader = reopen(), reopen()
    start = reader.change_head()
    write_a_day(writer)
    writer.write_readings(*fix(BOX, 2, 10))
    writer.prune_changes(keep=1)
    with pytest.raises(CursorExpired):
        reader.changes_after(start)


def test_read_through_passes_pruning_on(store):
    write_a_day(store)
    assert ReadThrough(store).prune_changes(keep=3) == 1


@pytest.mark.parametrize("keep", [0, -5])
def test_keeping_nothing_is_refused(store, keep):
    with pytest.raises(ValueError, match="at least 1"):
        store.prune_changes(keep=keep)


@pytest.mark.integration
def test_postgres_never_prunes_changes_of_a_transaction_still_open(pg_store):
    writer, other = pg_store(), pg_store()
    start = other.change_head()
    with writer.unit_of_work():
        writer.write_alerts([alert(1)])  # open: its change is not yet visible to readers
        other.write_alerts([alert(2)])
        other.write_alerts([alert(3)])
        assert other.prune_changes(keep=1) == 0  # a2 and a3 sort after a1: nothing readable yet
    assert other.prune_changes(keep=1) == 2
    with pytest.raises(CursorExpired) as err:
        other.changes_after(start)
    assert [c.alert.alert.alert_id for c in other.changes_after(err.value.horizon) if c.alert] == ["a3"]
