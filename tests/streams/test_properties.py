"""Properties of the processing stage (hypothesis).

- The vectorised fast path gives exactly what the per-fix reference gives.
- Input shuffled within the lateness bound gives the same events, alerts and
  final state as sorted input.
- Micro-batch boundaries change nothing.
"""

from __future__ import annotations

import random

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from cargotrail.contract.records import Reading
from streams.processors.pipeline import Processors
from tests.streams.world import BOX, REEFER, offset, processors, replace, run, trip

DISTURBANCES = ("none", "off_route", "door", "warm", "shock", "jump", "stop", "gap")


@st.composite
def fleets(draw: st.DrawFn) -> list[Reading]:
    """Two boxes on the road with random disturbances, merged in device-time order."""
    out: list[Reading] = []
    for box, device, extra in ((BOX, "TRK-A", {}), (REEFER, "TRK-B", {"temperature_c": -18.0})):
        t = trip(
            box,
            device=device,
            steps=draw(st.integers(4, 40)),
            every_min=draw(st.sampled_from([5, 15])),
            start_min=draw(st.integers(0, 30)),
            **extra,
        )
        for _ in range(draw(st.integers(0, 4))):
            if not t:
                break
            k = draw(st.integers(0, len(t) - 1))
            n = draw(st.integers(1, 5))
            kind = draw(st.sampled_from(DISTURBANCES))
            for j in range(k, min(k + n, len(t))):
                r = t[j]
                t[j] = {
                    "none": r,
                    "off_route": offset(r, 15),
                    "door": replace(r, door_open=True),
                    "warm": replace(r, temperature_c=-2.0),
                    "shock": replace(r, shock_g=9.0),
                    "jump": offset(r, 900),
                    "stop": replace(r, lat=t[k].lat, lon=t[k].lon),
                    "gap": r,
                }[kind]
            if kind == "gap":
                del t[k : k + n]
        out.extend(t)
    return sorted(out, key=lambda r: (r.ts, r.device_id))


def same(a, b) -> None:
    """Compare outcomes part by part, showing only what differs."""
    for name, x, y in zip(("events", "alerts", "rule state", "zone state"), a, b, strict=True):
        if isinstance(x, list):
            assert set(x) ^ set(y) == set(), name
        assert x == y, name


def outcome(p: Processors, readings: list[Reading], batch: int):
    events, alerts = run(p, readings, batch)
    state = {c: msgspec.to_builtins(s) for c, s in sorted(p.anomaly.state.items())}
    zones = {c: msgspec.to_builtins(s) for c, s in sorted(p.tracker.state.items())}
    return (
        sorted(msgspec.json.encode(e) for e in events),
        sorted(msgspec.json.encode(a) for a in alerts),
        state,
        zones,
    )


@settings(max_examples=60, deadline=None)
@given(fleets(), st.integers(1, 50))
def test_fast_path_equals_the_per_fix_reference(readings, batch):
    fast = processors()
    slow = processors()
    slow.anomaly.force_slow_path = True
    same(outcome(fast, readings, batch), outcome(slow, readings, batch))


@settings(max_examples=60, deadline=None)
@given(fleets(), st.integers(1, 50), st.integers(1, 50), st.randoms(use_true_random=False))
def test_shuffled_within_the_lateness_bound_equals_sorted(readings, batch_a, batch_b, rnd: random.Random):
    # Shuffle inside 5-minute device-time windows: well inside the 10-minute lateness bound.
    buckets: dict[int, list[Reading]] = {}
    for r in readings:
        buckets.setdefault(int(r.ts.timestamp() // 300), []).append(r)
    shuffled = []
    for key in sorted(buckets):
        group = buckets[key]
        rnd.shuffle(group)
        shuffled.extend(group)
    same(outcome(processors(), readings, batch_a), outcome(processors(), shuffled, batch_b))


def test_a_reading_later_than_the_bound_is_late_and_changes_nothing():
    p = processors()
    t = trip(steps=12)
    first = p.process(t[:10])
    before = msgspec.to_builtins(p.anomaly.state[BOX]), msgspec.to_builtins(p.tracker.state[BOX])
    stale = replace(t[2], seq=999, lat=t[2].lat + 0.3)  # 33 km away, 1.5 h old
    out = p.process([stale])
    assert out.late == [stale] and out.events == [] and out.alerts == []
    assert (msgspec.to_builtins(p.anomaly.state[BOX]), msgspec.to_builtins(p.tracker.state[BOX])) == before
    assert first.readings  # the buffer released the early ones
