"""One embedded runtime over a data directory's store and local ledger, as the runtime tests drive it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from cargotrail.settings import Settings
from cargotrail.wiring import ledger_anchoring
from geofence.zones import Zone, zones_from_geojson
from services.simulator import SimBatch, SimConfig, Simulator
from store.base import Repository
from store.sqlite import SqliteStore
from streams.processors.pipeline import Processors
from streams.runtimes.embedded import EmbeddedRuntime
from tests.streams.runtime_outputs import Outputs, outputs

NOW = 2_000_000_000.0  # the runtime's clock: after every simulated reading


def small_world(seed: int) -> tuple[list[SimBatch], list[Zone]]:
    """Four hours of 30 containers reporting every 5 minutes, a tenth out of order, and their zones."""
    config = SimConfig(
        containers=30, seed=seed, horizon_s=4 * 3600, report_interval_s=300, out_of_order_share=0.1
    )
    simulator = Simulator(config)
    return list(simulator.batches(4 * 3600)), zones_from_geojson(simulator.zones_geojson())


class Run:
    """One runtime over the store and the local ledger of ``data_dir``."""

    def __init__(
        self,
        data_dir: Path,
        zones: list[Zone],
        *,
        zone_check_s: float | None = None,
        store: Callable[[], Repository] | None = None,
        compact_steps: int = 10**9,
    ) -> None:
        settings = dataclasses.replace(
            Settings(), data_dir=data_dir, anchor_batch_records=97, anchor_batch_seconds=1e12
        )
        self.store = store() if store is not None else SqliteStore(settings.sqlite_path)
        self.runtime = EmbeddedRuntime(
            Processors(zones, lateness_s=settings.lateness_s),
            self.store,
            max_future_s=1e12,
            now=lambda: NOW,
            anchoring=ledger_anchoring(settings, self.store),
            zone_check_s=zone_check_s,
            inbox=True,
            compact_steps=compact_steps,
        )

    def feed(self, batches: list[SimBatch]) -> None:
        for b in batches:
            self.runtime.ingest(b.readings, b.rfid, b.plans, source_time=b.watermark.timestamp())

    def crash(self) -> None:
        self.store.close()  # without finish: the reorder buffer and the open anchor batch are dropped

    def finish(self) -> Outputs:
        self.runtime.finish()
        try:
            return outputs(self.store)
        finally:
            self.store.close()
