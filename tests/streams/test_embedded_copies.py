"""The embedded runtime takes a reading that arrives again (MQTT redelivery, a client's retry) once.

Whatever copies arrive, wherever (the same micro-batch, while the first is held for reordering, after
it was stored and anchored, after a restart from the inbox or from a compaction snapshot), the store
ends exactly as after the input without them: the same readings, events, alerts and anchored batches
(Merkle roots included), every record anchored once, and the copies counted.
"""

from __future__ import annotations

import random
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cargotrail.contract.records import Reading
from geofence.zones import Zone
from services.simulator import SimBatch
from store.base import Repository
from store.buffered import BufferedStore
from store.postgres import PostgresStore
from tests.store.tcp_proxy import TcpProxy
from tests.streams.embedded_run import Run, small_world
from tests.streams.runtime_outputs import Outputs, anchored_once, unanchored


@pytest.fixture(scope="module")
def sim() -> tuple[list[SimBatch], list[Zone]]:
    return small_world(seed=5)


@pytest.fixture(scope="module")
def plain(sim, tmp_path_factory) -> Outputs:
    batches, zones = sim
    run = Run(tmp_path_factory.mktemp("plain"), zones)
    run.feed(batches)
    assert run.runtime.counters.duplicates == 0
    return run.finish()


def doubled(batches: Sequence[SimBatch], seed: int, copies: int) -> list[SimBatch]:
    """``batches`` with ``copies`` readings sent again, each into the same micro-batch or a later one
    (after the reading it copies), at a random place."""
    rng = random.Random(seed)
    out = [list(b.readings) for b in batches]
    origins = [(i, r) for i, b in enumerate(batches) for r in b.readings]
    for _ in range(copies):
        i, r = rng.choice(origins)
        later = min(len(out) - 1, i + rng.choice([0, 0, 1, 2, 5, 40]))
        first = out[later].index(r) + 1 if later == i else 0
        out[later].insert(rng.randint(first, len(out[later])), r)
    return [replace(b, readings=rs) for b, rs in zip(batches, out, strict=True)]


def check(got: Outputs, plain: Outputs, data_dir: Path, readings: list[Reading]) -> None:
    assert got == plain  # counts, event and alert ids, anchored batches with their roots
    assert anchored_once(got)
    store = Run(data_dir, []).store  # the run's store, to ask for proofs
    try:
        assert unanchored(store, readings, got) == []
    finally:
        store.close()


def test_every_micro_batch_sent_twice_is_taken_once(sim, plain, tmp_path):
    batches, zones = sim
    run = Run(tmp_path, zones)
    again = [replace(b, rfid=[], plans=[]) for b in batches]  # the readings: what transports deliver
    for b, copy in zip(batches, again, strict=True):
        run.feed([b, copy])  # a client retrying each batch it was not sure went through
    run.feed(again[:3])  # and, much later, the first ones again: stored and anchored long ago
    counters = run.runtime.counters
    assert counters.duplicates == sum(len(b.readings) for b in [*batches, *batches[:3]])
    assert counters.unchecked == 0
    check(run.finish(), plain, tmp_path, [r for b in batches for r in b.readings])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    copies=st.integers(1, 400),
    crash_after=st.integers(0, 16),
    compact_steps=st.sampled_from([2, 10**9]),  # restart from a snapshot, or from the whole inbox
)
def test_copies_anywhere_and_a_crash_leave_the_store_as_without_them(
    sim, plain, seed, copies, crash_after, compact_steps
):
    batches, zones = sim
    fed = doubled(batches, seed, copies)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        first = Run(data_dir, zones, compact_steps=compact_steps)
        first.feed(fed[:crash_after])
        dropped = first.runtime.counters.duplicates
        first.crash()
        again = Run(data_dir, zones, compact_steps=compact_steps)
        again.feed(fed[crash_after:])
        dropped += again.runtime.counters.duplicates
        assert dropped == copies
        check(again.finish(), plain, data_dir, [r for b in batches for r in b.readings])


@pytest.mark.integration
def test_copies_are_dropped_on_postgresql(sim, plain, tmp_path, pg_schema):
    batches, zones = sim
    fed = doubled(batches, 7, 300)
    run = Run(tmp_path, zones, store=pg_schema)
    run.feed(fed[:9])
    dropped = run.runtime.counters.duplicates
    run.crash()
    run = Run(tmp_path, zones, store=pg_schema)
    run.feed(fed[9:])
    assert dropped + run.runtime.counters.duplicates == 300
    got = run.finish()
    assert got == plain and anchored_once(got)


@pytest.fixture
def through_proxy(pg_url: str) -> Iterator[tuple[TcpProxy, Callable[[], Repository]]]:
    """A proxy a test can cut, and opens buffered PostgreSQL stores through it on a fresh schema."""
    url = pg_url
    target = urlsplit(url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    through = url.replace(f"{target.hostname}:{target.port}", f"127.0.0.1:{proxy.port}")
    name = f"t_{uuid.uuid4().hex[:12]}"
    quick = {"connect_timeout_s": 1.0, "pool_timeout_s": 1.0, "statement_timeout_s": 5.0}
    yield proxy, lambda: BufferedStore(PostgresStore(through, schema=name, **quick), first_delay_s=0.2)
    proxy.close()
    with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@pytest.mark.integration
def test_during_an_outage_copies_of_parked_readings_are_dropped_and_unchecked_ones_counted(
    sim, plain, tmp_path, through_proxy
):
    batches, zones = sim
    proxy, store = through_proxy
    run = Run(tmp_path, zones, store=store)
    run.feed(batches[:4])
    proxy.cut()
    run.feed(batches[4:6])  # parked: written once the database is back
    old = batches[0].readings[:3]  # stored before the outage: only the database could tell
    run.feed([replace(batches[6], readings=[*batches[4].readings, *old, *batches[6].readings])])
    proxy.restore()
    run.feed(batches[7:])
    counters = run.runtime.counters
    assert counters.duplicates == len(batches[4].readings)
    assert counters.unchecked == len(old)  # taken as new, with a warning: the known gap
    outages = run.runtime.store.outages
    got = run.finish()
    assert len(outages) == 1 and outages[0].ended is not None
    assert got.counts["readings"] == plain.counts["readings"]  # never a second row
    leaves = sum(size for *_, size in got.anchors)
    assert leaves == sum(size for *_, size in plain.anchors) + len(old)  # the unchecked ones, again
