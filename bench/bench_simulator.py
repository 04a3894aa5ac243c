"""Simulator throughput: readings generated per second at 10,000 and 100,000 containers, and memory.

Run: ``.venv/bin/python bench/bench_simulator.py`` (prints figures; not a test).
Each size builds a simulator (world, fleet, schedule, anomalies), then generates
``STEPS`` batches of 900 s device time. The first batch also announces every
voyage under way (one plan per container), so it is timed apart. Timings run
without tracemalloc (it slows allocation several-fold); a second, traced pass
measures the peak Python memory of build + first batch.
"""

from __future__ import annotations

import resource
import time
import tracemalloc

from services.simulator import SimConfig, Simulator
from services.simulator.world import world

STEPS = 8


def run(n: int) -> None:
    cfg = SimConfig(containers=n, horizon_s=3 * 86400.0, anomalies_per_kind=5)
    t0 = time.perf_counter()
    sim = Simulator(cfg)
    build = time.perf_counter() - t0
    it = sim.batches(STEPS * 900.0, 900.0)
    t1 = time.perf_counter()
    first = next(it)
    first_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    readings = rfid = 0
    for b in it:
        readings += len(b.readings)
        rfid += len(b.rfid)
    steady = time.perf_counter() - t2
    del sim, it, first
    tracemalloc.start()
    traced = Simulator(cfg)
    first = next(iter(traced.batches(900.0, 900.0)))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{n:>7,} containers: build {build:5.2f} s | first batch ({len(first.readings):,} readings + "
        f"{len(first.plans):,} plans) {first_s:5.2f} s | steady {readings / steady:>9,.0f} readings/s "
        f"({readings:,} readings, {rfid:,} RFID reads in {STEPS - 1} steps) | "
        f"peak traced (build + first batch) {peak / 2**20:,.0f} MiB"
    )


def main() -> None:
    t = time.perf_counter()
    world()
    print(
        f"world (ports, lanes, {len(world().graph.routes):,} routes, zones): {time.perf_counter() - t:.2f} s"
    )
    for n in (10_000, 100_000):
        run(n)
    print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
