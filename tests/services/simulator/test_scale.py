"""100,000 containers: build and one step without blowing up."""

from __future__ import annotations

import tracemalloc

from services.simulator import SimConfig, Simulator


def test_hundred_thousand_containers_one_step() -> None:
    tracemalloc.start()
    sim = Simulator(SimConfig(containers=100_000, horizon_s=86400.0, anomalies_per_kind=1))
    batch = next(iter(sim.batches(900.0, 900.0)))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(batch.readings) == 100_000
    assert len(batch.plans) >= 100_000  # every voyage under way is announced in the first batch
    assert len({r.device_id for r in batch.readings}) == 100_000
    assert peak < 1_500 * 2**20, f"peak {peak / 2**20:.0f} MiB"
