"""Processors.snapshot / restore: a restart from a snapshot gives exactly the uninterrupted outputs.

For random split points over simulator data (late and shuffled readings included, voyage plans
arriving with the batches, a zone swap before or after the split): process A, snapshot, restore into
fresh processors built with the zones in force and the same settings, process B; the outputs of B
are byte-identical to those of processing A+B without a snapshot.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cargotrail.contract.records import ContainerClass, Reading, VoyagePlan, ZoneType
from cargotrail.settings import DEFAULT_THRESHOLDS
from geofence.zones import Zone, circle_zone, zones_from_geojson
from services.simulator import SimBatch, SimConfig, Simulator
from streams.processors.pipeline import Processors, StageResult
from streams.processors.snapshot import SnapshotMismatch, decode
from tests.streams.world import BOX, processors, trip

LATENESS_S = 900.0


@dataclass(frozen=True)
class Step:
    readings: list[Reading]
    plans: list[VoyagePlan]
    source_time: float | None
    zones: list[Zone] | None = None  # a zone swap before this step's batch


@pytest.fixture(scope="module")
def world() -> tuple[list[SimBatch], list[Zone]]:
    config = SimConfig(
        containers=25, seed=11, horizon_s=6 * 3600, report_interval_s=300, out_of_order_share=0.2
    )
    sim = Simulator(config)
    return list(sim.batches(6 * 3600)), zones_from_geojson(sim.zones_geojson())


def steps_of(batches: Sequence[SimBatch], shuffle_seed: int, swap_at: int, zones: list[Zone]) -> list[Step]:
    """The batches as steps, each batch's readings shuffled; at ``swap_at`` the zones change."""
    rng = random.Random(shuffle_seed)
    out = []
    for i, b in enumerate(batches):
        readings = list(b.readings)
        rng.shuffle(readings)
        out.append(
            Step(readings, list(b.plans), b.watermark.timestamp(), swapped(zones) if i == swap_at else None)
        )
    return out


def swapped(zones: list[Zone]) -> list[Zone]:
    """``zones`` less one, plus a big new zone with a dwell limit over the middle of the world."""
    lons = [z.geometry.centroid.x for z in zones]
    lats = [z.geometry.centroid.y for z in zones]
    mid = (sum(lons) / len(lons), sum(lats) / len(lats))
    extra = circle_zone("SNAP-NEW", "New zone", ZoneType.DEPOT, *mid, 200_000, dwell_limit_s=1800)
    return [*zones[1:], extra]


def encoded(results: Sequence[StageResult]) -> bytes:
    """Every output field of ``results``, as bytes."""
    return msgspec.msgpack.encode(
        [(r.readings, r.reading_ids, r.jumped, r.late, r.events, r.alerts, r.watermark) for r in results]
    )


def feed(p: Processors, steps: Sequence[Step]) -> tuple[Processors, list[StageResult]]:
    out = []
    for s in steps:
        if s.zones is not None:
            out.append(p.replace_zones(s.zones))
        p.add_plans(s.plans)
        out.append(p.process(s.readings, s.source_time))
    return p, out


def zones_at(zones: list[Zone], steps: Sequence[Step]) -> list[Zone]:
    for s in steps:
        if s.zones is not None:
            zones = s.zones
    return zones


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(split=st.integers(0, 24), swap_at=st.integers(-1, 24), seed=st.integers(0, 1000))
def test_restart_from_a_snapshot_gives_the_uninterrupted_outputs(world, split, swap_at, seed):
    batches, zones = world
    steps = steps_of(batches, seed, swap_at, zones)
    split = min(split, len(steps))

    whole, expected = feed(Processors(zones, lateness_s=LATENESS_S), steps)
    expected.append(whole.flush())

    first, _ = feed(Processors(zones, lateness_s=LATENESS_S), steps[:split])
    data = first.snapshot()
    again = Processors(zones_at(zones, steps[:split]), lateness_s=LATENESS_S)
    again.restore(data)
    # Nothing lost on the way (the same state, though a plan's int may come back as the float it is).
    assert decode(again.snapshot()) == decode(data)
    _, got = feed(again, steps[split:])
    got.append(again.flush())

    assert encoded(got) == encoded(expected[len(expected) - len(got) :])
    assert got[-1].readings or len(steps) == split or not any(s.readings for s in steps)


def test_restart_keeps_open_episodes_and_timers():
    readings = trip(BOX, steps=30, every_min=15)
    readings[8:12] = [replace_lat(r, 9.0) for r in readings[8:12]]  # a GPS jump run, then back
    expected = processors()
    want = [expected.process(readings[i : i + 5]) for i in range(0, 30, 5)] + [expected.flush()]

    for cut in range(1, 6):
        p = processors()
        got = [p.process(readings[i : i + 5]) for i in range(0, 5 * cut, 5)]
        again = Processors(p.index.zones, lateness_s=600)
        again.restore(p.snapshot())
        got += [again.process(readings[i : i + 5]) for i in range(5 * cut, 30, 5)] + [again.flush()]
        assert encoded(got) == encoded(want)


def replace_lat(r: Reading, lat: float) -> Reading:
    return msgspec.structs.replace(r, lat=lat)


def test_a_snapshot_taken_under_other_zones_or_settings_is_refused():
    p = processors()
    p.process(trip(BOX, steps=4))
    data = p.snapshot()
    with pytest.raises(SnapshotMismatch, match="other zones"):
        Processors(p.index.zones[1:], lateness_s=600).restore(data)
    with pytest.raises(SnapshotMismatch, match="lateness bound or other thresholds"):
        Processors(p.index.zones, lateness_s=60).restore(data)
    reefer = replace(DEFAULT_THRESHOLDS[ContainerClass.REEFER], max_speed_kmh=90.0)
    other = {**DEFAULT_THRESHOLDS, ContainerClass.REEFER: reefer}
    with pytest.raises(SnapshotMismatch, match="lateness bound or other thresholds"):
        Processors(p.index.zones, lateness_s=600, thresholds=other).restore(data)


def test_a_snapshot_goes_into_fresh_processors_only():
    p = processors()
    with pytest.raises(SnapshotMismatch, match="fresh processors"):
        processors().restore(p.snapshot())


def test_an_unreadable_or_newer_snapshot_is_refused():
    p = processors()
    data = p.snapshot()
    with pytest.raises(SnapshotMismatch, match="unreadable"):
        Processors(p.index.zones, lateness_s=600).restore(data[:-3])
    newer = msgspec.msgpack.encode([99, *msgspec.msgpack.decode(data)[1:]])
    with pytest.raises(SnapshotMismatch, match="version 99"):
        Processors(p.index.zones, lateness_s=600).restore(newer)
