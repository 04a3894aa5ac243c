"""ZoneTracker: transition semantics, late fixes, dwell timers, state, real port areas."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import numpy as np
import pytest
import shapely
from shapely.geometry import mapping

from cargotrail.contract.ids import geofence_event_id, reading_id
from cargotrail.contract.records import GeofenceKind, Reading, ZoneType
from geofence.index import ZoneIndex
from geofence.transitions import ContainerZones, Fixes, ZoneTracker
from geofence.zones import Zone, zones_from_geojson
from tests.geofence.reference import event_key, reference

T0 = 1_700_000_000.0
DATA = Path(__file__).parents[2].parent / "shared" / "data"


def fixes(*rows: tuple[str, float, float, float], prefix: str = "r") -> Fixes:
    """Rows of (container, ts offset, lon, lat); reading ids are prefix + position."""
    return Fixes(
        container_ids=[r[0] for r in rows],
        device_ids=[f"dev-{r[0]}" for r in rows],
        reading_ids=[f"{prefix}{k}" for k in range(len(rows))],
        ts=np.array([T0 + r[1] for r in rows]),
        lons=np.array([r[2] for r in rows]),
        lats=np.array([r[3] for r in rows]),
    )


def kinds(events) -> list[tuple[str, str, str]]:
    return [(e.kind.value, e.zone_id, e.reading_id) for e in events]


@pytest.fixture
def tracker() -> ZoneTracker:
    zones = [
        Zone("a", "Terminal A", ZoneType.TERMINAL, shapely.box(0, 0, 1, 1), dwell_limit_s=600),
        Zone("b", "Customs B", ZoneType.CUSTOMS, shapely.box(0.5, 0, 2, 1)),
        Zone("c", "Restricted C", ZoneType.RESTRICTED, shapely.box(3, 0, 4, 1)),
    ]
    return ZoneTracker(ZoneIndex(zones))


def test_first_fix_enters_every_containing_zone(tracker):
    out = tracker.process(fixes(("C1", 0, 0.75, 0.5), ("C2", 0, 9.0, 9.0)))
    assert kinds(out.events) == [("enter", "a", "r0"), ("enter", "b", "r0")]
    e = out.events[0]
    assert e.ts == datetime.fromtimestamp(T0, UTC) and e.ts.tzinfo is not None
    got = (e.container_id, e.device_id, e.zone_type, e.lon, e.lat, e.dwell_s)
    assert got == ("C1", "dev-C1", ZoneType.TERMINAL, 0.75, 0.5, None)
    assert e.event_id == geofence_event_id("enter", "C1", "a", "r0")
    assert tracker.state["C1"].inside == {"a": T0, "b": T0}
    assert tracker.state["C2"] == ContainerZones(T0, 9.0, 9.0, "r1", "dev-C2")


def test_exit_before_enter_then_crossed_between(tracker):
    tracker.process(fixes(("C1", 0, 0.25, 0.5)))
    out = tracker.process(fixes(("C1", 100, 1.5, 0.5), ("C1", 200, 4.5, 0.5), ("C1", 300, 3.5, 0.5)))
    assert kinds(out.events) == [
        # moved from a into b
        ("exit", "a", "r0"),
        ("enter", "b", "r0"),
        # jumped over c between two fixes
        ("exit", "b", "r1"),
        ("crossed", "c", "r1"),
        # segment ends in c: an enter, not a crossing
        ("enter", "c", "r2"),
    ]
    assert out.events[0].dwell_s == 100 and out.events[2].dwell_s == 100
    assert out.events[3].dwell_s is None


def test_dwell_fires_once_per_visit(tracker):
    out = tracker.process(
        fixes(("C1", 0, 0.2, 0.5), ("C1", 600, 0.2, 0.5), ("C1", 601, 0.2, 0.5), ("C1", 900, 0.2, 0.5))
    )
    # Stamped at the deadline (600 s after entry), evidenced by the last fix at or before it.
    assert kinds(out.events) == [("enter", "a", "r0"), ("dwell_exceeded", "a", "r1")]
    assert out.events[1].dwell_s == 600 and out.events[1].ts == datetime.fromtimestamp(T0 + 600, UTC)
    out = tracker.process(
        fixes(("C1", 1000, -5.0, 5.0), ("C1", 1100, 0.2, 0.5), ("C1", 1800, 0.2, 0.5), prefix="s")
    )
    assert kinds(out.events) == [("exit", "a", "s0"), ("enter", "a", "s1"), ("dwell_exceeded", "a", "s1")]
    assert out.events[0].dwell_s == 1000 and out.events[2].dwell_s == 600


def test_watermark_fires_dwell_without_a_new_fix(tracker):
    tracker.process(fixes(("C1", 0, 0.2, 0.5), ("C2", 0, 1.5, 0.5)))
    assert tracker.on_watermark(T0 + 600) == []
    [e] = tracker.on_watermark(T0 + 700)
    assert (e.kind, e.container_id, e.zone_id, e.reading_id, e.dwell_s) == (
        GeofenceKind.DWELL_EXCEEDED,
        "C1",
        "a",
        "r0",
        600,
    )
    # The same event whenever the watermark passes the deadline: stamped at the deadline.
    assert e.ts == datetime.fromtimestamp(T0 + 600, UTC) and e.device_id == "dev-C1"
    assert tracker.on_watermark(T0 + 800) == []
    assert tracker.process(fixes(("C1", 900, 0.2, 0.5), prefix="s")).events == []
    assert tracker.state["C1"].last_ts == T0 + 900


def test_late_fixes_are_flagged_and_ignored(tracker):
    tracker.process(fixes(("C1", 100, 0.2, 0.5)))
    before = msgspec.to_builtins(tracker.state)
    out = tracker.process(
        fixes(("C1", 100, 5.0, 5.0), ("C1", 50, 1.5, 0.5), ("C2", 10, 1.5, 0.5), ("C2", 10, 9.0, 9.0))
    )
    assert out.late.tolist() == [True, True, False, True]
    assert kinds(out.events) == [("enter", "b", "r2")]
    assert msgspec.to_builtins(tracker.state["C1"]) == before["C1"]
    assert out.zone_hits[0].tolist() == [2] and out.zone_hits[1].tolist() == [1]


def test_zone_hits_lists_zones_per_fix(tracker):
    out = tracker.process(fixes(("C1", 0, 0.75, 0.5), ("C2", 0, 9.0, 9.0), ("C3", 0, 3.5, 0.5)))
    assert list(zip(*(a.tolist() for a in out.zone_hits), strict=True)) == [(0, 0), (0, 1), (2, 2)]


def test_unknown_zone_in_restored_state_is_dropped(tracker):
    # ``state`` is a snapshot: restoring means assigning a whole mapping.
    tracker.state = {
        "C1": ContainerZones(T0, 0.2, 0.5, "r", "dev-C1", inside={"gone": T0, "a": T0}, dwell_fired=["gone"])
    }
    out = tracker.process(fixes(("C1", 10, -5.0, 5.0)))
    assert kinds(out.events) == [("exit", "a", "r0")]
    assert tracker.state["C1"].inside == {} and tracker.state["C1"].dwell_fired == []


def test_state_is_msgspec_serialisable(tracker):
    tracker.process(fixes(("C1", 0, 0.2, 0.5), ("C1", 700, 0.2, 0.5)))
    raw = msgspec.json.encode(tracker.state)
    assert msgspec.json.decode(raw, type=dict[str, ContainerZones]) == tracker.state


def test_empty_batch(tracker):
    out = tracker.process(fixes())
    assert out.events == [] and out.late.size == 0 and out.zone_hits[0].size == 0


def test_fixes_validation_and_from_readings():
    with pytest.raises(ValueError, match="same length"):
        Fixes(["C1"], [], ["r"], np.array([T0]), np.array([0.0]), np.array([0.0]))
    with pytest.raises(ValueError, match="finite"):
        Fixes(["C1"], ["d"], ["r"], np.array([T0]), np.array([np.nan]), np.array([0.0]))
    reading = Reading(
        device_id="d1",
        container_id="MSCU1234565",
        seq=7,
        ts=datetime.fromtimestamp(T0, UTC),
        lat=51.9,
        lon=4.5,
    )
    f = Fixes.from_readings([reading])
    assert (f.container_ids, f.device_ids, f.reading_ids) == (["MSCU1234565"], ["d1"], [reading_id("d1", 7)])
    assert (f.ts.tolist(), f.lons.tolist(), f.lats.tolist()) == ([T0], [4.5], [51.9])


def wpi_port_zones() -> list[Zone]:
    """World Port Index 12 nm port areas (WKT boxes) as port zones."""
    with open(DATA / "ports" / "wpi_12nm_bounding_box_port.csv", encoding="utf-8-sig", newline="") as fh:
        features = [
            {
                "type": "Feature",
                "properties": {
                    "id": f"WPI-{row['INDEX_NO']}",
                    "name": row["PORT_NAME"],
                    "type": "port",
                    "country": row["COUNTRY"],
                },
                "geometry": mapping(shapely.from_wkt(row["geom_WKT"])),
            }
            for row in csv.DictReader(fh)
        ]
    return zones_from_geojson({"type": "FeatureCollection", "features": features})


def test_real_port_areas_rotterdam():
    zones = wpi_port_zones()
    assert len(zones) > 3000
    tracker = ZoneTracker(ZoneIndex(zones))
    # Rotterdam (WPI 31140) at 51.9 N, 4.483333 E; then out to the North Sea.
    out = tracker.process(fixes(("C1", 0, 4.483333, 51.9), ("C1", 3600, 3.0, 52.5)))
    rotterdam = tracker.index.by_id["WPI-31140"]
    assert rotterdam.name == "ROTTERDAM" and rotterdam.properties == {"country": "NL"}
    assert ("enter", "WPI-31140", "r0") in kinds(out.events)
    assert ("exit", "WPI-31140", "r1") in kinds(out.events)


def test_more_zones_than_a_zone_set_row_holds():
    """Containers inside more than ZONE_SET_WIDTH zones take the per-fix path; same events."""
    zones = [
        Zone(f"n{k}", f"n{k}", ZoneType.PORT, shapely.box(-k - 1, -k - 1, k + 1, k + 1)) for k in range(20)
    ]
    rows = [("C1", 0.0, 0.0, 0.0), ("C1", 10.0, 0.1, 0.0), ("C1", 20.0, 12.5, 0.0), ("C1", 30.0, 12.6, 0.0)]
    tracker = ZoneTracker(ZoneIndex(zones))
    events = [e for k in range(4) for e in tracker.process(fixes(rows[k], prefix=f"r{k}-")).events]
    ref, _ = reference(
        zones, [("C1", "dev-C1", f"r{k}-0", T0 + r[1], r[2], r[3]) for k, r in enumerate(rows)]
    )
    assert [event_key(e) for e in events] == ref
    assert len(events) == 20 + 12 and kinds(events)[-1] == ("exit", "n11", "r2-0")


def test_restored_state_is_trusted_as_given_and_timers_are_rebuilt(tracker):
    # Inside "a" by the state, though (2.5, 0.5) lies in no zone: the next segment passes
    # through "a" and "b", neither holding an end, so "a" is exited *and* crossed.
    tracker.state = {"C1": ContainerZones(T0, 2.5, 0.5, "r", "dev-C1", inside={"a": T0})}
    assert tracker.state["C1"].inside == {"a": T0}
    out = tracker.process(fixes(("C1", 100, -0.5, 0.5)))
    assert kinds(out.events) == [("exit", "a", "r0"), ("crossed", "a", "r0"), ("crossed", "b", "r0")]
    tracker.state = {"C2": ContainerZones(T0, 0.2, 0.5, "q", "dev-C2", inside={"a": T0})}
    [e] = tracker.on_watermark(T0 + 601)  # the restored visit's deadline fires without a fix
    assert (e.kind, e.container_id, e.reading_id, e.dwell_s) == (GeofenceKind.DWELL_EXCEEDED, "C2", "q", 600)


def test_snapshot_of_some_containers(tracker):
    tracker.process(fixes(("C1", 0, 0.2, 0.5), ("C2", 0, 9.0, 9.0)))
    assert tracker.snapshot(["C2", "nobody"]) == {"C2": tracker.state["C2"]}
