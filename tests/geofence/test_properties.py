"""Property tests: the tracker equals a brute-force reference, ignores late fixes and
does not depend on how a stream is cut into micro-batches."""

from __future__ import annotations

import itertools

import msgspec
import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from geofence.index import ZoneIndex
from geofence.transitions import ContainerZones, Fixes, ZoneTracker
from geofence.zones import Zone, zones_from_geojson
from tests.geofence.reference import Fix, event_key, reference

# Coordinates on a 0.05° grid inside a ~1° square, so fixes often sit exactly on
# zone vertices and edges (boundary cases) and tracks cross zones.
grid = st.integers(0, 20).map(lambda k: k * 0.05)
point = st.tuples(grid, grid)
dwell = st.sampled_from([None, 60.0, 600.0, 3600.0])


@st.composite
def zone_feature(draw: st.DrawFn, k: int) -> dict[str, object]:
    kind = draw(st.sampled_from(["polygon", "circle", "corridor"]))
    props: dict[str, object] = {"id": f"z{k}", "type": draw(st.sampled_from(["port", "customs", "corridor"]))}
    if (limit := draw(dwell)) is not None:
        props["dwell_limit_s"] = limit
    if kind == "circle":
        props["radius_m"] = draw(st.floats(500, 30_000))
        geometry = {"type": "Point", "coordinates": list(draw(point))}
    elif kind == "corridor":
        props["width_m"] = draw(st.floats(200, 20_000))
        line = draw(st.lists(point, min_size=2, max_size=4, unique=True))
        geometry = {"type": "LineString", "coordinates": [list(p) for p in line]}
    else:
        ring = draw(st.lists(point, min_size=3, max_size=6, unique=True))
        geometry = {"type": "Polygon", "coordinates": [[list(p) for p in [*ring, ring[0]]]]}
    return {"type": "Feature", "properties": props, "geometry": geometry}


@st.composite
def zone_sets(draw: st.DrawFn) -> list[Zone]:
    features = []
    for k in range(draw(st.integers(1, 6))):
        feature = draw(zone_feature(k))
        try:
            zones_from_geojson({"type": "FeatureCollection", "features": [feature]})
        except Exception:
            continue  # e.g. a collinear polygon: no area
        features.append(feature)
    return zones_from_geojson({"type": "FeatureCollection", "features": features})


# Small moves from a container's previous fix: parked or creeping boxes, whose moves
# mostly touch no boundary (the tracker then reuses the previous fix's zones).
jitter = st.sampled_from([0.0, 1e-9, 1e-5, 1e-3, 0.01])


@st.composite
def tracks(draw: st.DrawFn, late_steps: bool = True) -> list[Fix]:
    """Interleaved fixes of a few containers; dt <= 0 steps make late fixes."""
    n_containers = draw(st.integers(1, 4))
    clock = [1_700_000_000.0] * n_containers
    at: dict[int, tuple[float, float]] = {}
    steps = st.sampled_from([-60.0, 0.0, 30.0, 300.0, 900.0, 4000.0] if late_steps else [30.0, 300.0, 4000.0])
    fixes: list[Fix] = []
    for n in range(draw(st.integers(1, 40))):
        c = draw(st.integers(0, n_containers - 1))
        clock[c] += draw(steps)
        if c in at and draw(st.booleans()):
            lon, lat = at[c][0] + draw(jitter), at[c][1] - draw(jitter)
        else:
            lon, lat = draw(point)
        at[c] = (lon, lat)
        fixes.append((f"C{c}", f"D{c}", f"R{n}", clock[c], lon, lat))
    return fixes


def to_fixes(rows: list[Fix]) -> Fixes:
    return Fixes(
        container_ids=[r[0] for r in rows],
        device_ids=[r[1] for r in rows],
        reading_ids=[r[2] for r in rows],
        ts=np.array([r[3] for r in rows]),
        lons=np.array([r[4] for r in rows]),
        lats=np.array([r[5] for r in rows]),
    )


def run_split(zones: list[Zone], rows: list[Fix], cuts: list[int]) -> tuple[list, list[bool], ZoneTracker]:
    tracker = ZoneTracker(ZoneIndex(zones))
    events, late = [], []
    bounds = [0, *sorted(set(cuts)), len(rows)]
    for a, b in itertools.pairwise(bounds):
        if a < b:
            out = tracker.process(to_fixes(rows[a:b]))
            events += [event_key(e) for e in out.events]
            late += out.late.tolist()
    return events, late, tracker


cut_points = st.lists(st.integers(0, 40), max_size=6)
fast = settings(deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow])
thorough = settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])


@thorough
@given(zones=zone_sets(), rows=tracks(), cuts=cut_points)
def test_transitions_equal_brute_force_reference(zones, rows, cuts):
    events, late, _ = run_split(zones, rows, cuts)
    ref_events, ref_late = reference(zones, rows)
    assert late == ref_late
    assert events == ref_events
    for kind in sorted({e[0] for e in events}):
        event(f"emits {kind}")
    last: dict[str, Fix] = {}
    moves = []  # (previous in-order fix, fix) of each container
    for r in rows:
        if r[0] not in last or r[3] > last[r[0]][3]:
            if r[0] in last:
                moves.append((last[r[0]], r))
            last[r[0]] = r
    if moves:  # how often the tracker could reuse a fix's zones for the next
        a, b = (np.array([[m[k][4], m[k][5]] for m in moves]) for k in (0, 1))
        still = ZoneIndex(zones).clear_moves(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
        event(f"still moves: {'some' if still.any() else 'none'}")


@fast
@given(zones=zone_sets(), rows=tracks(), cuts=cut_points, data=st.data())
def test_late_fixes_never_emit_and_never_change_state(zones, rows, cuts, data):
    _, _, tracker = run_split(zones, rows, cuts)
    before = msgspec.to_builtins(tracker.state)
    known = sorted(tracker.state)
    late_rows = [
        (
            c,
            "D",
            f"L{k}",
            tracker.state[c].last_ts - data.draw(st.sampled_from([0.0, 1.0, 1e6])),
            *data.draw(point),
        )
        for k, c in enumerate(data.draw(st.lists(st.sampled_from(known), min_size=1, max_size=10)))
    ]
    out = tracker.process(to_fixes(late_rows))
    assert out.late.all()
    assert out.events == []
    assert out.zone_hits[0].size == 0
    assert msgspec.to_builtins(tracker.state) == before


@fast
@given(zones=zone_sets(), rows=tracks(), cuts_a=cut_points, cuts_b=cut_points)
def test_batch_splits_do_not_change_results(zones, rows, cuts_a, cuts_b):
    events_a, late_a, tracker_a = run_split(zones, rows, cuts_a)
    events_b, late_b, tracker_b = run_split(zones, rows, cuts_b)
    assert events_a == events_b
    assert late_a == late_b
    assert msgspec.to_builtins(tracker_a.state) == msgspec.to_builtins(tracker_b.state)


@fast
@given(zones=zone_sets(), rows=tracks(), cuts=cut_points)
def test_state_survives_msgspec_round_trip(zones, rows, cuts):
    """Restoring state from its serialised form (a changelog table) continues identically."""
    half = len(rows) // 2
    _, _, tracker = run_split(zones, rows[:half], cuts)
    restored = ZoneTracker(ZoneIndex(zones))
    restored.state = msgspec.msgpack.decode(
        msgspec.msgpack.encode(tracker.state), type=dict[str, ContainerZones]
    )
    if half < len(rows):
        a = tracker.process(to_fixes(rows[half:]))
        b = restored.process(to_fixes(rows[half:]))
        assert [event_key(e) for e in a.events] == [event_key(e) for e in b.events]
