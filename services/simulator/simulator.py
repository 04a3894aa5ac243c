"""The simulator's public face: configuration, the fleet, zones, truth and record batches.

Contract:

* Same ``SimConfig`` -> identical zones, fleet, truth and batches (whatever
  ``step_s``: every value is a function of the seed, the container and the fix
  number); a different seed gives a different run.
* ``batches(duration_s, step_s)`` replays device time from ``from_s`` in steps
  of ``step_s``; each ``SimBatch`` holds every reading with ``ts`` in
  (previous watermark, watermark], sorted by ``ts`` (except readings the
  config deliberately delays, which arrive in a later batch, at most
  ``max_delay_s`` of device time late), the RFID reads of that window, and the
  plan of every voyage starting in it (the first batch also carries the plans
  of voyages already under way). A plan always comes in the batch of, or a
  batch before, its voyage's first reading.
* Runs end at ``horizon_s``: schedules and ground truth are fixed up front for
  that horizon, so ``ground_truth()`` is known before the first batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from cargotrail.contract.records import AlertKind
from services.simulator import rng
from services.simulator.context import Context
from services.simulator.emit import Emitter, SimBatch
from services.simulator.fleet import ContainerInfo, Fleet
from services.simulator.scenarios import GroundTruth, Injector, counts_per_kind, plan_anomalies
from services.simulator.track import evaluate, fix_rows
from services.simulator.voyage import build_schedule
from services.simulator.world import world

_S_PHASE = 1


@dataclass(frozen=True)
class SimConfig:
    """A run: fleet size, seed, clock and horizon, anomaly counts (an int for every kind, or per kind),
    cargo mix, and the optional share of readings delivered late (off by default)."""

    containers: int = 500
    seed: int = 7
    start: datetime = datetime(2026, 1, 5, tzinfo=UTC)
    report_interval_s: float = 900.0
    horizon_s: float = 14 * 86400.0
    anomalies_per_kind: int | Mapping[AlertKind, int] = 2
    reefer_share: float = 0.2
    tank_share: float = 0.05
    hazardous_share: float = 0.05
    out_of_order_share: float = 0.0  # this share of readings arrives late...
    max_delay_s: float = 600.0  # ...by up to this much device time (keep within the ingest lateness bound)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("SimConfig.start must be timezone-aware")
        if not 1.0 <= self.report_interval_s <= 3600.0:
            raise ValueError("report_interval_s must be within 1..3600 s")
        if self.horizon_s <= 0 or not 0.0 <= self.out_of_order_share <= 1.0 or self.max_delay_s < 0:
            raise ValueError("horizon_s > 0, out_of_order_share in [0, 1] and max_delay_s >= 0 are required")


class Simulator:
    """Builds everything up front (fleet, schedules to the horizon, anomalies); see the module contract."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = cfg = config or SimConfig()
        self.world = world()
        self.fleet = Fleet.build(
            cfg.containers, cfg.seed, cfg.reefer_share, cfg.tank_share, cfg.hazardous_share
        )
        self.schedule = build_schedule(self.world, cfg.containers, cfg.seed, cfg.horizon_s)
        interval = cfg.report_interval_s
        # per-container reporting phase in (0, interval], whole seconds when the interval is
        self.phase = np.floor(rng.uniform(cfg.seed, _S_PHASE, np.arange(cfg.containers)) * interval) + 1.0
        self.phase = np.minimum(self.phase, interval)
        self._reefer = self.fleet.is_reefer()
        ctx = Context(
            self.world,
            self.schedule,
            cfg.seed,
            self._reefer,
            self.phase,
            interval,
            cfg.horizon_s,
            np.random.default_rng([cfg.seed, 3]),
        )
        self.anomalies = plan_anomalies(ctx, cfg.containers, counts_per_kind(cfg.anomalies_per_kind))
        self._injector = Injector(self.anomalies)

    def zones_geojson(self) -> dict[str, Any]:
        return self.world.zones.geojson()

    def containers(self) -> list[ContainerInfo]:
        return [self.fleet.info(i) for i in range(self.fleet.size)]

    def ground_truth(self) -> list[GroundTruth]:
        start = self.config.start

        def at(seconds: float) -> datetime:
            return start + timedelta(seconds=seconds)

        cids = self.fleet.container_ids
        return [
            GroundTruth(container_id=cids[a.c], kind=a.kind, start=at(a.truth[0]), end=at(a.truth[1]))
            for a in self.anomalies
        ]

    def batches(self, duration_s: float, step_s: float = 900.0, *, from_s: float = 0.0) -> Iterator[SimBatch]:
        cfg = self.config
        if step_s <= 0 or duration_s < 0 or from_s < 0 or from_s + duration_s > cfg.horizon_s + 1e-9:
            raise ValueError(
                f"need step_s > 0 and 0 <= from_s <= from_s + duration_s <= horizon_s ({cfg.horizon_s})"
            )
        end = from_s + duration_s
        w0 = from_s
        emitter = Emitter(
            self.world, self.schedule, self.fleet, cfg
        )  # per call: iterators never share late readings
        while w0 < end:
            w1 = min(w0 + step_s, end)
            c, k, t = fix_rows(self.phase, cfg.report_interval_s, w0, w1)
            fx = evaluate(self.world, self.schedule, cfg.seed, self._reefer, c, k, t, cfg.report_interval_s)
            keep = self._injector.apply(fx)
            yield emitter.batch(fx, keep, w0, w1, first=w0 == from_s, last=w1 >= end)
            w0 = w1
