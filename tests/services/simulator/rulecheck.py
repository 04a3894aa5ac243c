"""A small reference detector for the anomaly rules, written from the brief, for the simulator's tests.

It is deliberately independent of ``streams.processors`` (which is built in
parallel): zones are buffered here with shapely in a local equirectangular
projection, like ``geofence.zones`` does, and the rules are applied to the
readings of each device in device-time order.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, Point, shape

from cargotrail.contract.records import AlertKind, ContainerClass, Reading, VoyagePlan
from cargotrail.settings import DEFAULT_THRESHOLDS
from services.simulator.geo import haversine_km

M_PER_DEG = math.pi * 6_371_008.8 / 180.0
SERVICE = {"port", "terminal", "customs", "depot"}


def _buffer(geom, metres: float):
    c = geom.centroid
    kx = M_PER_DEG * math.cos(math.radians(c.y))

    def to_m(xy):
        return np.column_stack(((xy[:, 0] - c.x) * kx, (xy[:, 1] - c.y) * M_PER_DEG))

    def to_deg(xy):
        return np.column_stack((xy[:, 0] / kx + c.x, xy[:, 1] / M_PER_DEG + c.y))

    return shapely.transform(shapely.transform(geom, to_m).buffer(metres, quad_segs=16), to_deg)


@dataclass
class ZoneIndex:
    ids: list[str]
    types: list[str]
    tree: shapely.STRtree

    @classmethod
    def from_geojson(cls, doc: dict[str, Any]) -> ZoneIndex:
        ids, types, polys = [], [], []
        for f in doc["features"]:
            p, g = f["properties"], shape(f["geometry"])
            if isinstance(g, Point):
                g = _buffer(g, p["radius_m"])
            elif isinstance(g, LineString):
                g = _buffer(g, p["width_m"] / 2)
            ids.append(p["id"])
            types.append(p["type"])
            polys.append(g)
        return cls(ids, types, shapely.STRtree(polys))

    def containing(self, lon: np.ndarray, lat: np.ndarray) -> list[set[str]]:
        pts = shapely.points(lon, lat)
        pi, zi = self.tree.query(pts, predicate="intersects")
        out: list[set[str]] = [set() for _ in range(len(pts))]
        for a, b in zip(pi.tolist(), zi.tolist(), strict=True):
            out[a].add(self.ids[b])
        return out


@dataclass(frozen=True)
class Found:
    container_id: str
    kind: AlertKind
    ts: datetime


def detect(
    readings: list[Reading],
    plans_at: dict[str, list[tuple[datetime, VoyagePlan]]],
    zones: ZoneIndex,
    interval_s: float = 900.0,
) -> list[Found]:
    """Run every rule over the readings (any order: sorted per device by ts here)."""
    rs = sorted(readings, key=lambda r: (r.device_id, r.ts))
    inside = zones.containing(np.array([r.lon for r in rs]), np.array([r.lat for r in rs]))
    out: list[Found] = []
    by_dev: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rs):
        by_dev[r.device_id].append(i)
    for idx in by_dev.values():
        _device(rs, idx, inside, plans_at, interval_s, out)
    return out


def _plan(plans_at, cid: str, ts: datetime) -> VoyagePlan:
    current = None
    for t, p in plans_at[cid]:
        if t <= ts:
            current = p
    assert current is not None, f"no plan for {cid} at {ts}"
    plan: VoyagePlan = current
    return plan


def _device(rs, idx, inside, plans_at, interval_s, out) -> None:
    last: Reading | None = None  # last accepted reading
    jump_open, run, jump_ref = False, 0, None
    prev_any: Reading | None = None
    outside_since = stop_since = temp_since = None
    stop_anchor = (0.0, 0.0)
    fired: set[str] = set()
    for i in idx:
        r: Reading = rs[i]
        plan = _plan(plans_at, r.container_id, r.ts)
        lim = DEFAULT_THRESHOLDS[plan.container_class]

        def add(kind: AlertKind, r: Reading = r) -> None:
            out.append(Found(r.container_id, kind, r.ts))

        if prev_any is not None and (r.ts - prev_any.ts).total_seconds() > max(
            lim.signal_loss_min_s, lim.signal_loss_factor * interval_s
        ):
            add(AlertKind.SIGNAL_LOSS)
        prev_any = r
        if r.shock_g is not None and r.shock_g >= lim.shock_g:
            add(AlertKind.SHOCK)
        if last is not None:
            dt = max((r.ts - last.ts).total_seconds(), 1.0)
            v = float(haversine_km(last.lat, last.lon, r.lat, r.lon)) / dt * 3600
            if v > lim.max_speed_kmh:
                if not jump_open:
                    add(AlertKind.GPS_JUMP)
                    jump_open, run = True, 1
                else:
                    assert jump_ref is not None
                    dj = float(haversine_km(jump_ref.lat, jump_ref.lon, r.lat, r.lon))
                    run = run + 1 if dj / max((r.ts - jump_ref.ts).total_seconds(), 1) * 3600 <= 250 else 1
                jump_ref = r
                if run < 6:
                    continue
            jump_open, run = False, 0
        zones_in = inside[i]
        service = any(z.split(":")[0] in SERVICE for z in zones_in)
        if any(z.startswith("restricted:") for z in zones_in):
            add(AlertKind.RESTRICTED_ZONE_ENTRY)
        on_route = service or bool(zones_in & set(plan.corridor_zone_ids))
        if on_route:
            outside_since = None
            fired.discard("route")
        else:
            outside_since = outside_since or r.ts
            if "route" not in fired and (r.ts - outside_since).total_seconds() >= lim.deviation_s:
                fired.add("route")
                add(AlertKind.ROUTE_DEVIATION)
        if service:
            stop_since = None
            fired.discard("stop")
        else:
            if stop_since is not None and haversine_km(stop_anchor[0], stop_anchor[1], r.lat, r.lon) > 0.5:
                stop_since = None
                fired.discard("stop")
            if (
                stop_since is None
                and last is not None
                and haversine_km(last.lat, last.lon, r.lat, r.lon) <= 0.5
            ):
                stop_since, stop_anchor = last.ts, (last.lat, last.lon)
            if (
                stop_since is not None
                and "stop" not in fired
                and (r.ts - stop_since).total_seconds() >= lim.stop_s
            ):
                fired.add("stop")
                add(AlertKind.UNSCHEDULED_STOP)
        if r.door_open and not service:
            if "door" not in fired:
                fired.add("door")
                add(AlertKind.DOOR_OPEN_OUTSIDE_ZONE)
        else:
            fired.discard("door")
        if plan.container_class is ContainerClass.REEFER and r.temperature_c is not None:
            low, high = plan.temp_min_c or -25.0, plan.temp_max_c or -15.0
            if low <= r.temperature_c <= high:
                temp_since = None
                fired.discard("temp")
            else:
                temp_since = temp_since or r.ts
                if "temp" not in fired and (r.ts - temp_since).total_seconds() >= lim.temp_grace_s:
                    fired.add("temp")
                    add(AlertKind.TEMPERATURE_EXCURSION)
        last = r
