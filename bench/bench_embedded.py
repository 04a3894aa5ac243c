"""The whole embedded pipeline (validate, process, store, anchor) with anchoring on and off, inbox on and off.

Same simulated input for all (generated once, outside the timing), each run
into a fresh data directory in the same process: readings/s end to end, the
ratio anchoring-on / anchoring-off (issue 3's target: >= 0.8), and the cost of
the durable inbox (what ``ingest-server`` runs: anchoring on, every step and
the open anchor batch kept in the store) as the ratio inbox-on / inbox-off. The inbox runs
compact the inbox with processor snapshots (the default) or never (``compact=False``); each is
restarted afterwards: the restart times, the inbox left, and the size and time of one snapshot and
restore of the final state (compaction needs runs longer than ``COMPACT_READINGS``).

Run: ``.venv/bin/python bench/bench_embedded.py [containers] [hours]``
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from cargotrail.settings import Settings
from cargotrail.wiring import ledger_anchoring
from geofence.zones import zones_from_geojson
from services.simulator import SimBatch, SimConfig, Simulator
from store.sqlite import SqliteStore
from streams.processors.pipeline import Processors
from streams.runtimes.embedded import EmbeddedRuntime
from streams.runtimes.inbox import INBOX

ROUNDS = 3
REPLAY_S: dict[bool, list[float]] = {True: [], False: []}  # restart times of the inbox runs, by compact
INBOX_LEFT: dict[bool, tuple[int, int]] = {}  # (entries, bytes) left in the inbox, by compact
SNAPSHOT: list[tuple[int, float, float]] = []  # (bytes, snapshot s, restore s) of the final state
NEVER = 10**12


def run(
    batches: list[SimBatch],
    zones_doc: dict,
    data_dir: Path,
    *,
    anchor: bool,
    inbox: bool = False,
    compact: bool = True,
) -> tuple[float, int]:
    settings = Settings(data_dir=data_dir)
    store = SqliteStore(settings.sqlite_path)
    anchoring = ledger_anchoring(settings, store) if anchor else None
    clock = [0.0]
    processors = Processors(zones_from_geojson(zones_doc), lateness_s=settings.lateness_s)
    runtime = EmbeddedRuntime(
        processors,
        store,
        max_future_s=settings.max_future_s,
        now=lambda: clock[0],
        anchoring=anchoring,
        inbox=inbox,
        **({} if compact else {"compact_steps": NEVER, "compact_readings": NEVER}),
    )
    started = time.perf_counter()
    for b in batches:
        clock[0] = b.watermark.timestamp()
        runtime.ingest(b.readings, b.rfid, b.plans, source_time=clock[0])
    runtime.finish()
    elapsed = time.perf_counter() - started
    if inbox:
        measure_snapshot(runtime.processors)
        left = store.inbox(INBOX, limit=NEVER)
        INBOX_LEFT[compact] = (len(left), sum(len(e.body) for e in left))
    store.close()
    if inbox:  # what a restart costs: the inbox (all of it, or the last snapshot on) replayed
        store = SqliteStore(settings.sqlite_path)
        began = time.perf_counter()
        EmbeddedRuntime(
            Processors(zones_from_geojson(zones_doc), lateness_s=settings.lateness_s),
            store,
            max_future_s=settings.max_future_s,
            now=lambda: clock[0],
            inbox=True,
        )
        REPLAY_S[compact].append(time.perf_counter() - began)
        store.close()
    return elapsed, runtime.counters.anchored_batches


def measure_snapshot(processors: Processors) -> None:
    began = time.perf_counter()
    data = processors.snapshot()
    took = time.perf_counter() - began
    fresh = Processors(processors.index.zones, lateness_s=processors.reorder.lateness_s)
    began = time.perf_counter()
    fresh.restore(data)
    SNAPSHOT.append((len(data), took, time.perf_counter() - began))


def main() -> None:
    containers = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
    hours = float(sys.argv[2]) if len(sys.argv) > 2 else 24.0
    sim = Simulator(SimConfig(containers=containers, seed=9, horizon_s=hours * 3600))
    batches = list(sim.batches(hours * 3600))
    n = sum(len(b.readings) for b in batches)
    print(f"input: {n:,} readings, {containers:,} containers, {hours:g} h, {len(batches)} micro-batches")
    # Alternate the three and keep each one's best time: the machines are shared and noisy.
    off_s = on_s = inbox_s = whole_s = float("inf")
    anchored = 0
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory() as tmp:
            off_s = min(off_s, run(batches, sim.zones_geojson(), Path(tmp) / "off", anchor=False)[0])
            t, anchored = run(batches, sim.zones_geojson(), Path(tmp) / "on", anchor=True)
            on_s = min(on_s, t)
            inbox_s = min(
                inbox_s, run(batches, sim.zones_geojson(), Path(tmp) / "inbox", anchor=True, inbox=True)[0]
            )
            whole = run(
                batches, sim.zones_geojson(), Path(tmp) / "whole", anchor=True, inbox=True, compact=False
            )
            whole_s = min(whole_s, whole[0])
    print(f"anchoring off: {n / off_s:,.0f} readings/s end to end (best of {ROUNDS}: {off_s:.1f} s)")
    print(
        f"anchoring on:  {n / on_s:,.0f} readings/s end to end (best of {ROUNDS}: {on_s:.1f} s, "
        f"{anchored} batches on the local ledger)"
    )
    ratio = off_s / on_s
    print(f"ratio on/off: {ratio:.2f} (target >= 0.8: {'met' if ratio >= 0.8 else 'NOT met'})")
    print(
        f"anchoring on, inbox on: {n / inbox_s:,.0f} readings/s end to end "
        f"(best of {ROUNDS}: {inbox_s:.1f} s)"
    )
    print(f"ratio inbox on/off (anchoring on): {on_s / inbox_s:.2f}")
    print(f"ratio inbox never compacted/off (anchoring on): {on_s / whole_s:.2f}")
    for compact, what in ((False, "never compacted"), (True, "compacted")):
        entries, size = INBOX_LEFT[compact]
        print(
            f"restart, inbox {what}: {min(REPLAY_S[compact]):.2f} s "
            f"({entries:,} entries, {size / 1e6:.1f} MB left in the inbox)"
        )
    size, took, back = min(SNAPSHOT, key=lambda s: s[1])
    print(
        f"snapshot of the final state: {size / 1e6:.2f} MB ({size / containers:.0f} B per container), "
        f"taken in {took * 1000:.0f} ms, restored in {back * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
