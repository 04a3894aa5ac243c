"""Geofence throughput: ZoneTracker micro-batches against a naive per-reading loop.

10,000 containers, 1,000 zones (circles, polygons, corridors) over the North Sea
and north-west Europe, ~200,000 fixes in micro-batches of 5,000. The naive
baseline runs the same transitions one reading at a time (per-point STRtree
lookup, then shapely ``intersects`` on single Points / LineStrings against
unprepared zones) on a subset, and its events are checked against the tracker's.

Run: ``.venv/bin/python bench/bench_geofence.py``
"""

from __future__ import annotations

import resource
import time
from collections import Counter

import numpy as np
import shapely
from shapely.geometry import LineString, Point

from cargotrail.contract.records import ZoneType
from geofence.index import ZoneIndex
from geofence.transitions import Fixes, ZoneTracker
from geofence.zones import Zone, circle_zone, corridor_zone

N_CONTAINERS, N_ZONES, N_FIXES, BATCH, NAIVE_FIXES = 10_000, 1_000, 200_000, 5_000, 10_000
LON, LAT = (-2.0, 16.0), (47.0, 58.0)
KM_LAT = 1 / 111.2
T0 = 1_700_000_000.0


def make_zones(rng: np.random.Generator) -> list[Zone]:
    zones: list[Zone] = []
    types = [ZoneType.PORT, ZoneType.TERMINAL, ZoneType.CUSTOMS, ZoneType.DEPOT, ZoneType.RESTRICTED]
    for k in range(N_ZONES):
        lon, lat = rng.uniform(*LON), rng.uniform(*LAT)
        kx = KM_LAT / np.cos(np.radians(lat))
        dwell = float(rng.choice([3600.0, 6 * 3600.0])) if rng.random() < 0.3 else None
        kind = k % 10
        if kind < 4:
            zt = types[k % len(types)]
            zones.append(
                circle_zone(f"C{k}", f"circle {k}", zt, lon, lat, rng.uniform(2e3, 15e3), dwell_limit_s=dwell)
            )
        elif kind < 7:
            r = rng.uniform(3, 20)
            pts = np.column_stack((lon + rng.normal(0, r * kx, 12), lat + rng.normal(0, r * KM_LAT, 12)))
            hull = shapely.convex_hull(shapely.multipoints(pts))
            zones.append(Zone(f"P{k}", f"polygon {k}", types[k % len(types)], hull, dwell_limit_s=dwell))
        else:
            legs = np.cumsum(rng.normal(0, 40, (4, 2)), axis=0)
            coords = [(lon + dx * kx, lat + dy * KM_LAT) for dx, dy in legs]
            zones.append(corridor_zone(f"R{k}", f"corridor {k}", coords, rng.uniform(2e3, 10e3)))
    return zones


def realistic_tracks(rng: np.random.Generator, zones: list[Zone], per: int) -> np.ndarray:
    """55 % of containers parked in a yard (15 m GPS jitter), 45 % travelling at 10-35 km/h."""
    yards = [z.geometry.representative_point() for z in zones if not z.zone_id.startswith("R")]
    parked = rng.random(N_CONTAINERS) < 0.55
    start = np.column_stack((rng.uniform(*LON, N_CONTAINERS), rng.uniform(*LAT, N_CONTAINERS)))
    pick = rng.integers(0, len(yards), N_CONTAINERS)
    start[parked] = [(yards[k].x, yards[k].y) for k in pick[parked]]
    heading = rng.uniform(0, 2 * np.pi, N_CONTAINERS)
    km_per_fix = np.where(parked, 0.0, rng.uniform(10, 35, N_CONTAINERS) / 4)
    k = np.arange(per)[None, :]
    d_lat = (km_per_fix * np.cos(heading))[:, None] * k * KM_LAT + rng.normal(
        0, 0.015 * KM_LAT, (N_CONTAINERS, per)
    )
    d_lon = (km_per_fix * np.sin(heading))[:, None] * k * KM_LAT + rng.normal(
        0, 0.015 * KM_LAT, (N_CONTAINERS, per)
    )
    d_lon /= np.cos(np.radians(start[:, 1]))[:, None]
    return np.stack((start[:, None, 0] + d_lon, start[:, None, 1] + d_lat), axis=2)


def random_walk_tracks(rng: np.random.Generator, zones: list[Zone], per: int) -> np.ndarray:
    """Event-heavy stress case: every container random-walks ~3 km per fix around a zone centre."""
    centres = np.array([(z.geometry.centroid.x, z.geometry.centroid.y) for z in zones])
    start = centres[rng.integers(0, len(zones), N_CONTAINERS)]
    steps = rng.normal(0, 3 * KM_LAT, (N_CONTAINERS, per, 2))
    steps[:, :, 0] /= np.cos(np.radians(start[:, None, 1]))
    return start[:, None, :] + np.cumsum(steps, axis=1)


def make_fixes(rng: np.random.Generator, track: np.ndarray) -> list[Fixes]:
    """Micro-batches of ``track`` (containers x fixes x lon/lat): a fix every ~15 min, in time order."""
    per = track.shape[1]
    ts = T0 + np.arange(per)[None, :] * 900.0 + rng.uniform(0, 900, (N_CONTAINERS, per))
    order = np.argsort(ts, axis=None, kind="stable")
    cont, step = np.unravel_index(order, ts.shape)
    cids = [f"MSCU{c:07d}" for c in range(N_CONTAINERS)]
    batches = []
    for a in range(0, len(order), BATCH):
        c, s = cont[a : a + BATCH], step[a : a + BATCH]
        batches.append(
            Fixes(
                container_ids=[cids[i] for i in c.tolist()],
                device_ids=[f"dev-{i}" for i in c.tolist()],
                reading_ids=[f"r-{i}-{j}" for i, j in zip(c.tolist(), s.tolist(), strict=True)],
                ts=ts[c, s],
                lons=track[c, s, 0],
                lats=track[c, s, 1],
            )
        )
    return batches


def naive(zones: list[Zone], batches: list[Fixes]) -> list[tuple[str, str, str]]:
    """Same transitions, one reading at a time, unprepared geometries (no dwell limits)."""
    geoms = [shapely.from_wkb(shapely.to_wkb(z.geometry)) for z in zones]  # unprepared copies
    tree = shapely.STRtree(geoms)
    state: dict[str, tuple[float, float, float, list[int]]] = {}
    events: list[tuple[str, str, str]] = []
    for f in batches:
        for c, r, t, lon, lat in zip(f.container_ids, f.reading_ids, f.ts, f.lons, f.lats, strict=True):
            p = Point(lon, lat)
            cur = sorted(int(k) for k in tree.query(p) if geoms[k].intersects(p))
            prev = state.get(c)
            if prev is not None and t <= prev[0]:
                continue
            before = prev[3] if prev else []
            events += [("exit", zones[k].zone_id, r) for k in before if k not in cur]
            if prev is not None:
                seg = LineString([(prev[1], prev[2]), (lon, lat)])
                hit = sorted(int(k) for k in tree.query(seg) if k not in before and k not in cur)
                events += [("crossed", zones[k].zone_id, r) for k in hit if geoms[k].intersects(seg)]
            events += [("enter", zones[k].zone_id, r) for k in cur if k not in before]
            state[c] = (t, lon, lat, cur)
    return events


def run(index: ZoneIndex, batches: list[Fixes]) -> tuple[float, Counter[str]]:
    """Fixes/s through ZoneTracker.process, and the events by kind."""
    tracker = ZoneTracker(index)
    kinds: Counter[str] = Counter()
    t = time.perf_counter()
    for b in batches:
        kinds.update(e.kind.value for e in tracker.process(b).events)
    return sum(len(b) for b in batches) / (time.perf_counter() - t), kinds


def main() -> None:
    rng = np.random.default_rng(42)
    zones = make_zones(rng)
    per = N_FIXES // N_CONTAINERS
    realistic = make_fixes(rng, realistic_tracks(rng, zones, per))
    stress = make_fixes(rng, random_walk_tracks(rng, zones, per))
    n = sum(len(b) for b in realistic)
    print(f"zones {len(zones):,}  containers {N_CONTAINERS:,}  fixes {n:,}  batch {BATCH:,}")
    index = ZoneIndex(zones)

    t = time.perf_counter()
    for b in realistic:
        index.containing(b.lons, b.lats)
    print(f"containing() only          {n / (time.perf_counter() - t):12,.0f} fixes/s")
    for name, batches in (("realistic", realistic), ("random walk", stress)):
        rate, kinds = run(index, batches)
        print(f"ZoneTracker {name:<14} {rate:12,.0f} fixes/s  events {sum(kinds.values()):,} {dict(kinds)}")

    for name, batches in (("realistic", realistic), ("random walk", stress)):
        subset = batches[: NAIVE_FIXES // BATCH]
        m = sum(len(b) for b in subset)
        no_dwell = [Zone(z.zone_id, z.name, z.zone_type, z.geometry) for z in zones]
        check = ZoneTracker(ZoneIndex(no_dwell))
        t = time.perf_counter()
        ours = [(e.kind.value, e.zone_id, e.reading_id) for b in subset for e in check.process(b).events]
        fast = m / (time.perf_counter() - t)
        t = time.perf_counter()
        theirs = naive(no_dwell, subset)
        slow = m / (time.perf_counter() - t)
        print(
            f"{name}, first {m:,} fixes: tracker {fast:,.0f}/s  naive {slow:,.0f}/s"
            f"  ratio {fast / slow:.1f}x  (same events: {ours == theirs}, {len(ours):,})"
        )
    print(f"peak RSS                   {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:12.0f} MiB")


if __name__ == "__main__":
    main()
