"""Replacing the zones mid-stream (``ZoneTracker.replace_zones``) against the brute-force reference."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cargotrail.contract.records import ZoneType
from geofence.index import ZoneIndex
from geofence.transitions import ZoneTracker
from geofence.zones import Zone, circle_zone
from tests.geofence.reference import Fix, Reference, event_key
from tests.geofence.test_properties import cut_points, run_split, to_fixes, tracks, zone_sets

swaps = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


def _after(rows: list[Fix], t: float) -> list[Fix]:
    """``rows`` shifted in time so that every fix comes after ``t`` (their order and gaps kept)."""
    if not rows:
        return rows
    shift = max(0.0, t - min(r[3] for r in rows) + 1.0)
    return [(c, d, f"S{r}", ts + shift, lon, lat) for c, d, r, ts, lon, lat in rows]


def _mixed(old: list[Zone], fresh: list[Zone], keep: list[bool], relimit: list[float | None]) -> list[Zone]:
    """New zones: some old ones kept (some with a new dwell limit), plus ``fresh`` ones under new ids."""
    kept = [
        dataclasses.replace(z, dwell_limit_s=limit) if limit != -1.0 else z
        for z, k, limit in zip(old, keep, relimit, strict=False)
        if k
    ]
    renamed = [dataclasses.replace(z, zone_id=f"n{z.zone_id}") for z in fresh]
    return [*renamed, *kept]  # new order: indices change at the swap


@swaps
@given(
    old=zone_sets(),
    fresh=zone_sets(),
    keep=st.lists(st.booleans(), min_size=6, max_size=6),
    relimit=st.lists(st.sampled_from([-1.0, None, 30.0, 3600.0]), min_size=6, max_size=6),
    rows=tracks(),
    after=tracks(),
    cuts=cut_points,
)
def test_swap_equals_reference_with_old_zones_then_new(old, fresh, keep, relimit, rows, after, cuts):
    new = _mixed(old, fresh, keep, relimit)
    before_events, before_late, tracker = run_split(old, rows, cuts)
    t = max(r[3] for r in rows)
    swap_events = [event_key(e) for e in tracker.replace_zones(ZoneIndex(new), t)]
    tail = _after(after, t)
    out = tracker.process(to_fixes(tail))

    ref = Reference(old)
    for fix in rows:
        ref.feed(fix)
    ref_before = len(ref.events)
    ref.swap(new, t)
    ref_swap = len(ref.events)
    for fix in tail:
        ref.feed(fix)
    assert before_events == ref.events[:ref_before]
    assert swap_events == ref.events[ref_before:ref_swap]
    assert [event_key(e) for e in out.events] == ref.events[ref_swap:]
    assert [*before_late, *out.late.tolist()] == ref.late
    for kind in sorted({e[0] for e in swap_events}):
        event(f"swap emits {kind}")


def _box(ts: float, lon: float, lat: float) -> Fix:
    return ("MSCU1234565", "dev-1", f"r{ts:.0f}", ts, lon, lat)


def test_a_parked_box_enters_a_zone_drawn_around_it_and_stays_put_after():
    """The clearance shortcut must not keep the old (empty) zones of a box that never moves."""
    far = circle_zone("far", "far", ZoneType.PORT, 10.0, 10.0, 500.0)
    tracker = ZoneTracker(ZoneIndex([far]))
    tracker.process(to_fixes([_box(1000.0, 4.0, 51.0), _box(1100.0, 4.0, 51.0)]))
    restricted = circle_zone("r1", "r1", ZoneType.RESTRICTED, 4.0, 51.0, 300.0)
    events = tracker.replace_zones(ZoneIndex([far, restricted]), 1200.0)
    assert [(e.kind.value, e.zone_id, e.ts.timestamp(), e.reading_id) for e in events] == [
        ("enter", "r1", 1200.0, "r1100")
    ]
    later = tracker.process(to_fixes([_box(1300.0, 4.0, 51.0), _box(1400.0, 4.00001, 51.0)]))
    assert later.events == []
    assert tracker.state["MSCU1234565"].inside == {"r1": 1200.0}


def test_a_deleted_zone_ends_the_visit_without_an_exit_and_a_tightened_limit_fires_at_the_swap():
    yard = circle_zone("yard", "yard", ZoneType.TERMINAL, 4.0, 51.0, 500.0, dwell_limit_s=10_000.0)
    gate = circle_zone("gate", "gate", ZoneType.CUSTOMS, 4.0, 51.0, 800.0)
    tracker = ZoneTracker(ZoneIndex([yard, gate]))
    tracker.process(to_fixes([_box(1000.0, 4.0, 51.0)]))
    tighter = dataclasses.replace(yard, dwell_limit_s=60.0)
    events = tracker.replace_zones(ZoneIndex([tighter]), 2000.0)
    assert [(e.kind.value, e.zone_id, e.ts.timestamp(), e.dwell_s) for e in events] == [
        ("dwell_exceeded", "yard", 2000.0, 1000.0)
    ]
    assert tracker.state["MSCU1234565"].inside == {"yard": 1000.0}
    assert tracker.on_watermark(1e9) == []  # fired once per visit
    left = tracker.process(to_fixes([_box(3000.0, 5.0, 52.0)]))
    assert [(e.kind.value, e.zone_id) for e in left.events] == [("exit", "yard")]
