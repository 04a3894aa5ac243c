"""Shared runs (module-cached) so the simulator suite stays well under a minute."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from cargotrail.contract.records import Reading, RfidRead, VoyagePlan
from services.simulator import SimConfig, Simulator
from tests.services.simulator.rulecheck import ZoneIndex


@dataclass
class Run:
    sim: Simulator
    readings: list[Reading] = field(default_factory=list)
    rfid: list[RfidRead] = field(default_factory=list)
    plans: list[VoyagePlan] = field(default_factory=list)
    # container -> [(time from which the plan applies, plan)], taken from the batch that carried it
    plans_at: dict[str, list[tuple[datetime, VoyagePlan]]] = field(default_factory=lambda: defaultdict(list))
    batch_of: dict[tuple[str, int], int] = field(default_factory=dict)


def collect(config: SimConfig, step_s: float = 900.0) -> Run:
    sim = Simulator(config)
    run = Run(sim)
    for i, b in enumerate(sim.batches(config.horizon_s, step_s)):
        for p in b.plans:
            run.plans_at[p.container_id].append((b.watermark - timedelta(seconds=step_s), p))
        run.plans += b.plans
        run.rfid += b.rfid
        for r in b.readings:
            run.batch_of[(r.device_id, r.seq)] = i
        run.readings += b.readings
    return run


NORMAL = SimConfig(containers=150, seed=11, horizon_s=3 * 86400.0, anomalies_per_kind=0)
ANOMALOUS = SimConfig(containers=300, seed=5, horizon_s=4 * 86400.0, anomalies_per_kind=3)


@pytest.fixture(scope="session")
def normal_run() -> Run:
    return collect(NORMAL)


@pytest.fixture(scope="session")
def anomalous_run() -> Run:
    return collect(ANOMALOUS)


@pytest.fixture(scope="session")
def zone_index(normal_run: Run) -> ZoneIndex:
    return ZoneIndex.from_geojson(normal_run.sim.zones_geojson())
