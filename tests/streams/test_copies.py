"""Copies of readings taken before are dropped by the processors: each reading is processed once.

The property: any input with copies injected anywhere (same micro-batch, while the first is held for
reordering, after it was released, across a snapshot and restore) gives exactly the outputs of the
input without them. ``stored`` here is the store's lookup as a set of the ids released so far: the
runtime tests (test_embedded_copies.py) ask the real stores.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cargotrail.contract.ids import reading_id
from cargotrail.contract.records import Reading, VoyagePlan
from geofence.zones import Zone, zones_from_geojson
from services.simulator import SimBatch, SimConfig, Simulator
from streams.processors.copies import find_copies
from streams.processors.devices import DeviceRanks
from streams.processors.pipeline import Processors, StageResult
from streams.processors.plans import PlanBook
from streams.processors.table import ReadingTable, read_table
from tests.streams.world import BOX, processors, replace, trip


def table(pairs: Sequence[tuple[str, int]], devices: DeviceRanks) -> ReadingTable:
    readings = [replace(trip(BOX, steps=1)[0], device_id=d, seq=s) for d, s in pairs]
    return read_table(readings, devices, PlanBook([]))


@pytest.mark.parametrize(
    ("held", "batch", "copies"),
    [
        ([], [("A", 1), ("A", 2), ("B", 1)], []),
        ([], [("A", 1), ("B", 1), ("A", 1), ("A", 1)], [2, 3]),  # the first one taken wins
        ([("A", 1), ("B", 7)], [("B", 7), ("A", 2), ("A", 1)], [0, 2]),
        ([("A", 1)], [("B", 1), ("A", 11)], []),  # same seq, other device; same device, other seq
        ([], [("A", 2**70), ("A", 2**70 + 1), ("A", 2**70)], [2]),  # seqs beyond 64 bits
        ([("A", 2**62)], [("A", 2**70), ("A", 2**62)], [1]),  # held as int64, arriving beside a big one
        ([], [("A", -1), ("A", -2), ("A", -1)], [2]),  # hash(-1) == hash(-2) in Python: no confusion
    ],
)
def test_copies_of_held_readings_and_of_earlier_ones_in_the_batch_are_found(held, batch, copies):
    devices = DeviceRanks()
    assert find_copies(table(held, devices), table(batch, devices)).tolist() == copies


def test_colliding_keys_never_drop_a_reading():
    devices = DeviceRanks()
    # Device codes 0 and 1; with _MIX odd, seq a on device 0 and seq b on device 1 collide when
    # a * _MIX ^ 0 == b * _MIX ^ 1, i.e. b = (a * _MIX ^ 1) / _MIX mod 2**64.
    mix = 0x9E3779B97F4A7C15
    a = 12345
    b = ((a * mix % 2**64) ^ 1) * pow(mix, -1, 2**64) % 2**64
    b_signed = b - 2**64 if b >= 2**63 else b
    t = table([("A", a), ("B", b_signed), ("B", b_signed)], devices)
    assert find_copies(ReadingTable.empty(), t).tolist() == [2]


def test_a_copy_of_a_released_reading_is_dropped_only_when_stored_knows_it():
    readings = trip(BOX, steps=8, every_min=15)  # lateness 600 s: each fix releases the one before
    p = processors()
    first = p.process(readings)
    released = set(first.reading_ids)
    assert released and not first.duplicates
    again = [readings[0], readings[-1]]  # released (late now), and held
    unasked = processors()
    unasked.process(readings)
    assert [r.seq for r in unasked.process(again).late] == [readings[0].seq]  # no lookup: it goes on

    asked: list[list[str]] = []

    def stored(ids: list[str]) -> set[str]:
        asked.append(ids)
        return {i for i in ids if i in released}

    out = p.process(again, stored=stored)
    assert out.duplicates == [0, 1] and not out.late and not out.readings and not out.alerts
    assert asked == [[reading_id(readings[0].device_id, readings[0].seq)]]  # only the late one, once
    assert p.process(readings[:0], stored=stored).duplicates == [] and len(asked) == 1


def test_a_copy_with_other_values_is_still_a_copy_the_first_one_wins():
    readings = trip(BOX, steps=3)
    p = processors()
    changed = replace(readings[-1], lat=readings[-1].lat + 0.5)
    out = p.process([*readings, changed])
    assert out.duplicates == [3]
    assert [r for r in p.reorder.held.readings.tolist()] == [readings[-1]]


# -- the property ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    readings: list[Reading]
    plans: list[VoyagePlan]
    source_time: float


@pytest.fixture(scope="module")
def world() -> tuple[list[SimBatch], list[Zone]]:
    config = SimConfig(
        containers=25, seed=13, horizon_s=6 * 3600, report_interval_s=300, out_of_order_share=0.2
    )
    sim = Simulator(config)
    return list(sim.batches(6 * 3600)), zones_from_geojson(sim.zones_geojson())


def with_copies(batches: Sequence[SimBatch], seed: int, copies: int) -> tuple[list[Step], list[Step]]:
    """(the batches as steps, the same with ``copies`` readings sent again): each copy goes into the
    same batch or a later one (up to the last), at a random place, possibly more than once."""
    rng = random.Random(seed)
    plain = [Step(list(b.readings), list(b.plans), b.watermark.timestamp()) for b in batches]
    doubled = [Step(list(s.readings), s.plans, s.source_time) for s in plain]
    origins = [(i, r) for i, s in enumerate(plain) for r in s.readings]
    for _ in range(copies):
        i, r = rng.choice(origins)
        later = min(len(doubled) - 1, i + rng.choice([0, 0, 1, 2, 5, 40]))
        target = doubled[later].readings
        first = target.index(r) + 1 if later == i else 0  # a copy comes after the reading it copies
        target.insert(rng.randint(first, len(target)), r)
    return plain, doubled


class Store:
    """What the store would hold: the ids of every reading released or late so far."""

    def __init__(self) -> None:
        self.ids: set[str] = set()

    def keep(self, result: StageResult) -> StageResult:
        self.ids.update(result.reading_ids)
        self.ids.update(reading_id(r.device_id, r.seq) for r in result.late)
        return result

    def stored(self, ids: list[str]) -> set[str]:
        return {i for i in ids if i in self.ids}


def feed(p: Processors, steps: Sequence[Step], store: Store) -> list[StageResult]:
    out = []
    for s in steps:
        p.add_plans(s.plans)
        out.append(store.keep(p.process(s.readings, s.source_time, stored=store.stored)))
    return out


def encoded(results: Sequence[StageResult]) -> bytes:
    return msgspec.msgpack.encode(
        [(r.readings, r.reading_ids, r.jumped, r.late, r.events, r.alerts, r.watermark) for r in results]
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    copies=st.integers(0, 300),
    split=st.integers(0, 24),
    lateness_s=st.sampled_from([60.0, 900.0]),  # 60 s: some first copies are late readings themselves
)
def test_copies_anywhere_give_the_outputs_of_the_input_without_them(world, seed, copies, split, lateness_s):
    batches, zones = world
    plain, doubled = with_copies(batches, seed, copies)
    split = min(split, len(plain))
    whole = Processors(zones, lateness_s=lateness_s)
    expected = feed(whole, plain, Store())
    expected.append(whole.flush())
    assert not any(r.duplicates for r in expected)

    store = Store()
    first = Processors(zones, lateness_s=lateness_s)
    got = feed(first, doubled[:split], store)
    again = Processors(zones, lateness_s=lateness_s)  # a restart from a snapshot
    again.restore(first.snapshot())
    got += feed(again, doubled[split:], store)
    got.append(again.flush())

    assert encoded(got) == encoded(expected)
    assert sum(len(r.duplicates) for r in got) == copies
    kept = [
        [r for k, r in enumerate(s.readings) if k not in set(g.duplicates)]
        for s, g in zip(doubled, got[:-1], strict=True)
    ]
    assert kept == [s.readings for s in plain]  # exactly the copies were dropped, never a first one


def test_find_copies_agrees_with_a_set_of_pairs():
    rng = np.random.default_rng(5)
    devices = DeviceRanks()
    for _ in range(30):
        held = [(f"D{rng.integers(0, 5)}", int(rng.integers(0, 20))) for _ in range(rng.integers(0, 30))]
        held = list(dict.fromkeys(held))  # what is held holds no copies
        batch = [(f"D{rng.integers(0, 5)}", int(rng.integers(0, 20))) for _ in range(rng.integers(0, 40))]
        seen = set(held)
        expected = []
        for k, pair in enumerate(batch):
            if pair in seen:
                expected.append(k)
            seen.add(pair)
        assert find_copies(table(held, devices), table(batch, devices)).tolist() == expected
