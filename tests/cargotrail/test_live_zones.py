"""Zones saved on the dashboard while the embedded pipeline runs take effect live."""

from __future__ import annotations

from pathlib import Path

from cargotrail.contract.records import AlertKind, GeofenceKind, Reading
from store.sqlite import SqliteStore
from streams.processors.pipeline import Processors
from streams.runtimes.embedded import EmbeddedRuntime
from tests.conftest import T0
from tests.streams.test_zone_swap import QUARANTINE
from tests.streams.world import BOX, trip, zones

NOW = T0.timestamp() + 10 * 86400


def _runtime(db: Path, wall: list[float]) -> EmbeddedRuntime:
    processors = Processors(zones(), lateness_s=600)
    return EmbeddedRuntime(
        processors, SqliteStore(db), max_future_s=60, now=lambda: NOW, zone_check_s=5.0, wall=lambda: wall[0]
    )


def _ingest(runtime: EmbeddedRuntime, readings: list[Reading]) -> None:
    for i in range(0, len(readings), 5):
        runtime.ingest(readings[i : i + 5])


def _stored(db: Path) -> tuple[list[tuple[str, str, str]], list[str]]:
    store = SqliteStore(db)
    try:
        events = [(e.event_id, e.kind.value, e.zone_id) for e in store.events(BOX)]
        return sorted(events), sorted(a.alert.kind.value for a in store.alerts(container_id=BOX))
    finally:
        store.close()


def test_a_zone_saved_mid_run_is_entered_by_the_box_parked_inside_and_nothing_else_changes(tmp_path):
    readings = trip()  # the box reaches the depot by the 19th fix and waits there
    plain_db = tmp_path / "plain" / "cargotrail.sqlite"
    plain = _runtime(plain_db, [0.0])
    _ingest(plain, readings)
    plain.finish()

    db = tmp_path / "live" / "cargotrail.sqlite"
    wall = [0.0]
    runtime = _runtime(db, wall)
    _ingest(runtime, readings[:20])
    dashboard = SqliteStore(db)  # the Zones page's own connection: copy the file's zones, add one
    with dashboard.unit_of_work():
        dashboard.save_zones(zones(), "ops", note="imported from zones.geojson")
        dashboard.save_zones([QUARANTINE], "ops", note="drawn")
    dashboard.close()
    runtime.ingest(readings[20:21])
    assert runtime.counters.zone_swaps == 0  # checked at most every zone_check_s of wall time
    wall[0] += 5.0
    _ingest(runtime, readings[21:])
    runtime.finish()
    assert runtime.counters.zone_swaps == 1

    events, alerts = _stored(db)
    plain_events, plain_alerts = _stored(plain_db)
    assert [kind for _, kind, zone in events if zone == "QUARANTINE"] == ["enter"]
    assert [e for e in events if e[2] != "QUARANTINE"] == plain_events  # no stale exit or re-entry
    assert alerts == sorted([*plain_alerts, AlertKind.RESTRICTED_ZONE_ENTRY.value])
    assert runtime.counters.events[GeofenceKind.ENTER.value] == plain.counters.events["enter"] + 1


def test_without_zone_edits_the_zone_log_is_read_but_nothing_is_swapped(tmp_path):
    wall = [0.0]
    runtime = _runtime(tmp_path / "cargotrail.sqlite", wall)
    for k, r in enumerate(trip()):
        wall[0] = 10.0 * k
        runtime.ingest([r])
    runtime.finish()
    assert runtime.counters.zone_swaps == 0
