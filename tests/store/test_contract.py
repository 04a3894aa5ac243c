"""The repository contract, run against every adapter: SQLite, and PostgreSQL (started by `make pg-up`)."""

from __future__ import annotations

import pytest

from cargotrail.contract import AlertKind, Severity, make_container_id, reading_id
from cargotrail.contract.records import (
    Alert,
    Explanation,
    GeofenceEvent,
    GeofenceKind,
    ZoneType,
)
from cargotrail.contract.validate import Rejection
from cargotrail.errors import StoreError
from store.base import AlertStatus, ReadingFlag, TriageAction
from store.sqlite import SqliteStore
from tests.conftest import T0, reading

BOX = make_container_id("CMA", 77)


def alert(n: int, sev: Severity = Severity.HIGH, minutes: int = 0) -> Alert:
    return Alert(
        alert_id=f"a{n}",
        kind=AlertKind.SHOCK,
        severity=sev,
        container_id=BOX,
        device_id="TRK-1",
        ts=reading(BOX, minutes=minutes).ts,
        lat=1.0,
        lon=2.0,
        explanation=Explanation(rule="shock", summary=f"shock {n}", evidence=["r1"]),
    )


def test_writes_are_idempotent_by_id(store):
    rs = [reading(BOX, seq=i, minutes=i) for i in range(5)]
    ids = [reading_id(r.device_id, r.seq) for r in rs]
    assert store.write_readings(rs, ids) == 5
    assert store.write_readings(rs, ids) == 0
    assert store.write_alerts([alert(1)]) == 1
    assert store.write_alerts([alert(1)]) == 0
    assert store.counts()["readings"] == 5


def test_latest_position_only_moves_forward_and_ignores_jumps_and_late(store):
    newer = reading(BOX, seq=2, minutes=20, lat=10.0)
    older = reading(BOX, seq=1, minutes=10, lat=20.0)
    store.write_readings([newer], [reading_id("TRK-1", 2)])
    store.write_readings([older], [reading_id("TRK-1", 1)])
    store.write_readings([reading(BOX, seq=3, minutes=30, lat=80.0)], ["x"], flag=ReadingFlag.GPS_JUMP)
    (pos,) = store.latest_positions()
    assert pos.lat == 10.0 and pos.container_id == BOX


def test_track_is_ordered_downsampled_and_keeps_the_last_fix(store):
    rs = [reading(BOX, seq=i, minutes=i) for i in range(1000)]
    store.write_readings(rs, [reading_id(r.device_id, r.seq) for r in rs])
    full = store.track(BOX, 0, 1e12, max_points=5000)
    assert [r.seq for r in full] == list(range(1000))
    small = store.track(BOX, 0, 1e12, max_points=100)
    assert len(small) <= 101 and small[-1].seq == 999 and small[0].seq == 0
    window = store.track(BOX, rs[100].ts.timestamp(), rs[199].ts.timestamp())
    assert [r.seq for r in window] == list(range(100, 200))


def test_alert_queue_sorts_by_severity_then_age_and_triage_is_logged(store):
    store.write_alerts(
        [alert(1, Severity.MEDIUM, 1), alert(2, Severity.CRITICAL, 5), alert(3, Severity.HIGH, 2)]
    )
    assert [r.alert.alert_id for r in store.alerts()] == ["a2", "a3", "a1"]
    store.triage("a2", TriageAction.ACKNOWLEDGE, "Ana (duty officer)")
    row = store.triage("a2", TriageAction.ASSIGN, "Ana (duty officer)", assignee="patrol 3")
    assert row.status is AlertStatus.ASSIGNED and row.assignee == "patrol 3"
    store.triage("a2", TriageAction.RESOLVE, "Ben", note="seal intact, false alarm")
    assert [r.alert.alert_id for r in store.alerts(status=AlertStatus.OPEN)] == ["a3", "a1"]
    log = store.triage_log("a2")
    assert [(e.action, e.operator) for e in log] == [
        ("acknowledge", "Ana (duty officer)"),
        ("assign to patrol 3", "Ana (duty officer)"),
        ("resolve", "Ben"),
    ]
    assert log[-1].note == "seal intact, false alarm"


def test_triage_needs_a_name_and_an_existing_alert(store):
    store.write_alerts([alert(1)])
    with pytest.raises(StoreError, match="operator"):
        store.triage("a1", TriageAction.ACKNOWLEDGE, " ")
    with pytest.raises(StoreError, match="nope"):
        store.triage("nope", TriageAction.ACKNOWLEDGE, "Ana")


def test_events_dead_letters_meta_and_exact_bodies(store):
    r = reading(BOX, seq=1, minutes=1, temperature_c=-18.25)
    rid = reading_id(r.device_id, r.seq)
    store.write_readings([r], [rid])
    e = GeofenceEvent(
        event_id="e1",
        kind=GeofenceKind.ENTER,
        container_id=BOX,
        device_id="TRK-1",
        zone_id="NLRTM",
        zone_type=ZoneType.PORT,
        ts=T0,
        lat=1,
        lon=2,
        reading_id=rid,
    )
    store.write_events([e])
    assert store.events(BOX) == [e]
    store.write_dead_letters(
        [Rejection(source="http", position=3, record="#3", field="lat", reason="nan", raw="{}")], ts=5.0
    )
    (dl,) = store.dead_letters()
    assert dl.rejection.field == "lat" and dl.ts == 5.0
    store.put_meta("batcher", b"\x00\x01")
    store.put_meta("batcher", b"\x02")
    assert store.get_meta("batcher") == b"\x02" and store.get_meta("missing") is None
    rec = store.record(rid)
    assert rec is not None and rec.kind == "reading" and b"-18.25" in rec.body
    assert store.record("e1").kind == "geofence"


def test_a_broken_database_file_is_a_store_error(tmp_path):
    bad = tmp_path / "broken.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"broken\.sqlite"):
        SqliteStore(bad)


def test_migrations_apply_once(tmp_path):
    SqliteStore(tmp_path / "s.sqlite").close()
    again = SqliteStore(tmp_path / "s.sqlite")
    assert again.counts()["readings"] == 0


def test_a_unit_of_work_commits_everything_or_nothing(store, reopen):
    rs = [reading(BOX, seq=i, minutes=i) for i in range(3)]
    with store.unit_of_work():
        store.write_readings(rs[:2], [reading_id("TRK-1", i) for i in range(2)])
        store.write_alerts([alert(1)])
    with pytest.raises(RuntimeError), store.unit_of_work():
        store.write_readings(rs[2:], [reading_id("TRK-1", 2)])
        raise RuntimeError("crash mid-batch")
    other = reopen()  # a second connection sees only committed data
    assert (other.counts()["readings"], other.counts()["alerts"]) == (2, 1)


def test_stored_reading_ids_names_exactly_the_stored_readings_of_any_flag(store):
    rs = [reading(BOX, seq=i, minutes=i) for i in range(1200)]
    ids = [reading_id(r.device_id, r.seq) for r in rs]
    store.write_readings(rs[:1000], ids[:1000])
    store.write_readings(rs[1000:1001], ids[1000:1001], flag=ReadingFlag.LATE)
    store.write_readings(rs[1001:1002], ids[1001:1002], flag=ReadingFlag.GPS_JUMP)
    store.write_alerts([alert(1)])
    asked = [*ids[::-1], "a1", "not-an-id", ids[0]]  # more than one query's worth, an alert's id, a repeat
    assert store.stored_reading_ids(asked) == set(ids[:1002])
    assert store.stored_reading_ids([]) == set()
    with store.unit_of_work():  # a unit of work sees its own writes
        store.write_readings(rs[1002:1003], ids[1002:1003])
        assert store.stored_reading_ids(ids[1002:1004]) == {ids[1002]}
