"""A simulator feeding the embedded runtime: the stack behind ``cargotrail run`` and ``cargotrail demo``.

Kept apart from ``wiring`` so that commands which never simulate (verify, proof)
do not import the simulator.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cargotrail.settings import Settings
from cargotrail.wiring import ZONES_FILE, ledger_anchoring, open_store
from geofence.zones import zones_from_geojson
from services.simulator import SimConfig, Simulator
from store.base import Repository
from streams.processors.pipeline import Processors
from streams.runtimes.embedded import Anchoring, EmbeddedRuntime


@dataclass
class SimulatedStack:
    """A simulator feeding the embedded runtime, with the simulator's clock as 'now'."""

    settings: Settings
    simulator: Simulator
    store: Repository
    runtime: EmbeddedRuntime
    clock: list[float] = field(default_factory=lambda: [0.0])


def simulated_stack(settings: Settings, config: SimConfig, *, anchor: bool = True) -> SimulatedStack:
    sim = Simulator(config)
    doc = sim.zones_geojson()
    (settings.data_dir / ZONES_FILE).write_text(json.dumps(doc))
    processors = Processors(
        zones_from_geojson(doc), lateness_s=settings.lateness_s, thresholds=settings.thresholds
    )
    store = open_store(settings)
    anchoring: Anchoring | None = ledger_anchoring(settings, store) if anchor else None
    clock = [config.start.timestamp()]
    runtime = EmbeddedRuntime(
        processors, store, max_future_s=settings.max_future_s, now=lambda: clock[0], anchoring=anchoring
    )
    return SimulatedStack(settings=settings, simulator=sim, store=store, runtime=runtime, clock=clock)
