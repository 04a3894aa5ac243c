"""Geofence + anomaly throughput of the embedded processing stage (issue 2's benchmark).

Input: the simulator's fleet of 10,000 containers on real sea lanes, over 1,000
zones (the simulator's ports, terminals, customs areas, depots, restricted areas
and corridors, plus berths and warehouses around the ports to reach 1,000), with
its injected anomalies. Micro-batches of 5,000 readings go through
``Processors`` (reorder, GPS-jump filter, geofence transitions, anomaly rules,
timers), exactly as the embedded runtime calls it.

Baselines, same data, same process, on a prefix, compared per reading:

- naive: per reading, a shapely ``Point`` tested against every zone
  (``intersects``), then the per-fix reference rules
  (``streams.processors.rules.step``): the loop the issue names;
- indexed naive: the same, but one STRtree query per reading instead of the
  loop over zones (what a careful per-record implementation would do).

Run: ``.venv/bin/python bench/bench_pipeline.py [containers] [hours]``
"""

from __future__ import annotations

import gc
import resource
import sys
import time

import numpy as np
import shapely

from cargotrail.contract.ids import reading_id
from cargotrail.contract.records import Reading, ZoneType
from geofence.zones import Zone, circle_zone, zones_from_geojson
from services.simulator import SimConfig, Simulator
from streams.processors.pipeline import SERVICE_ZONES, Processors
from streams.processors.rules import FixContext, step
from streams.processors.state import ContainerState

BATCH = 5_000
N_ZONES = 1_000
NAIVE_READINGS = 2_000
INDEXED_READINGS = 20_000


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def zones_for(sim: Simulator) -> list[Zone]:
    zones = zones_from_geojson(sim.zones_geojson())
    ports = [z for z in zones if z.zone_type is ZoneType.PORT]
    rng = np.random.default_rng(1)
    k = 0
    while len(zones) < N_ZONES:  # berths and warehouses within 20 km of a port
        port = ports[k % len(ports)].geometry.centroid
        lon, lat = port.x + rng.uniform(-0.2, 0.2), port.y + rng.uniform(-0.15, 0.15)
        zones.append(
            circle_zone(f"WH-{k}", f"warehouse {k}", ZoneType.DEPOT, lon, lat, rng.uniform(200, 1500))
        )
        k += 1
    return zones


def generate(containers: int, hours: float) -> tuple[Simulator, list[Reading], list]:
    sim = Simulator(SimConfig(containers=containers, seed=5, horizon_s=hours * 3600, anomalies_per_kind=20))
    readings, plans = [], []
    for b in sim.batches(hours * 3600):
        plans.extend(b.plans)
        readings.extend(b.readings)
    return sim, readings, plans


def run_processors(zones: list[Zone], plans: list, readings: list[Reading]) -> tuple[float, int, int]:
    p = Processors(zones, lateness_s=600)
    p.add_plans(plans)
    gc.collect()
    events = alerts = 0
    started = time.process_time()
    for i in range(0, len(readings), BATCH):
        out = p.process(readings[i : i + BATCH])
        events += len(out.events)
        alerts += len(out.alerts)
    out = p.flush()
    elapsed = time.process_time() - started
    return elapsed, events + len(out.events), alerts + len(out.alerts)


def run_naive(zones: list[Zone], plans: list, readings: list[Reading], *, indexed: bool) -> float:
    """One reading at a time: Point, zones containing it, then the reference rules."""
    p = Processors(zones, lateness_s=600)  # only for its PlanBook (limits, corridors)
    p.add_plans(plans)
    geoms = [z.geometry for z in zones]
    tree = shapely.STRtree(geoms)
    corridors = {c: set(plan.corridor_zone_ids) for c, plan in p.plans.plans.items()}
    states: dict[str, ContainerState] = {}
    alerts: list = []
    started = time.process_time()
    for r in readings:
        point = shapely.Point(r.lon, r.lat)
        if indexed:
            inside = [zones[i] for i in tree.query(point, predicate="intersects")]
        else:
            inside = [z for z in zones if z.geometry.intersects(point)]
        service = any(z.zone_type in SERVICE_ZONES for z in inside)
        plan = corridors.get(r.container_id)
        on_route = plan is None or service or any(z.zone_id in plan for z in inside)
        s = states.setdefault(r.container_id, ContainerState())
        reading_id(r.device_id, r.seq)
        context = FixContext(in_service_zone=service, on_route=on_route)
        limits, band = p.plans.limits(r.container_id), p.plans.temp_band(r.container_id)
        step(s, r, r.ts.timestamp(), context, limits, band, alerts)
    return time.process_time() - started


def main() -> None:
    containers = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    hours = float(sys.argv[2]) if len(sys.argv) > 2 else 12.0
    t = time.perf_counter()
    sim, readings, plans = generate(containers, hours)
    zones = zones_for(sim)
    print(
        f"input: {len(readings):,} readings from {containers:,} containers over {hours:g} h, "
        f"{len(zones):,} zones, {len(plans):,} voyage plans (generated in {time.perf_counter() - t:.1f} s, "
        f"RSS {rss_mb():.0f} MB)"
    )
    elapsed, events, alerts = run_processors(zones, plans, readings)
    rate = len(readings) / elapsed
    print(
        f"processors: {rate:,.0f} readings/s on one core ({elapsed:.2f} s CPU), "
        f"{events:,} geofence events, {alerts:,} alerts; peak RSS {rss_mb():.0f} MB"
    )
    prefix = readings[:NAIVE_READINGS]
    naive_rate = NAIVE_READINGS / run_naive(zones, plans, prefix, indexed=False)
    indexed_rate = INDEXED_READINGS / run_naive(zones, plans, readings[:INDEXED_READINGS], indexed=True)
    print(
        f"naive per-reading loop over every zone: {naive_rate:,.0f} readings/s ({NAIVE_READINGS:,} readings)"
    )
    print(
        f"indexed per-reading loop (STRtree per point): {indexed_rate:,.0f} readings/s "
        f"({INDEXED_READINGS:,} readings); ratio processors / indexed: {rate / indexed_rate:.1f}x"
    )
    print(
        f"ratio processors / naive: {rate / naive_rate:.1f}x (target >= 20x); "
        f"target >= 200,000 readings/s: {'met' if rate >= 200_000 else 'NOT met'}; "
        f"peak RSS {rss_mb():.0f} MB (target <= 500 MB)"
    )


if __name__ == "__main__":
    main()
