"""A brute-force reference for the zone tracker, written independently of it.

For every fix and every zone it asks shapely directly (unprepared geometries, one
Point or LineString at a time) and replays the transition rules literally.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import shapely
from shapely.geometry import LineString, Point

from cargotrail.contract.records import GeofenceEvent
from geofence.zones import Zone

Fix = tuple[str, str, str, float, float, float]  # container, device, reading id, ts, lon, lat
EventKey = tuple[str, str, str, str, str, float, float, float, float | None]


def event_key(e: GeofenceEvent) -> EventKey:
    ts = e.ts.timestamp()
    return (e.kind.value, e.container_id, e.device_id, e.zone_id, e.reading_id, ts, e.lon, e.lat, e.dwell_s)


@dataclass
class _Box:
    ts: float
    lon: float
    lat: float
    last: Fix
    since: dict[int, float] = field(default_factory=dict)
    fired: set[int] = field(default_factory=set)


def _inside(zones: list[Zone], lon: float, lat: float) -> list[int]:
    p = Point(lon, lat)
    return [k for k, z in enumerate(zones) if shapely.intersects(z.geometry, p)]


def reference(zones: list[Zone], fixes: list[Fix]) -> tuple[list[EventKey], list[bool]]:
    """Events (as keys) and late flags for ``fixes`` processed one by one."""
    boxes: dict[str, _Box] = {}
    events: list[EventKey] = []
    late: list[bool] = []

    def emit(kind: str, fix: Fix, k: int, dwell: float | None = None) -> None:
        c, d, r, t, lon, lat = fix
        events.append((kind, c, d, zones[k].zone_id, r, t, lon, lat, dwell))

    for fix in fixes:
        c, _, _, t, lon, lat = fix
        box = boxes.get(c)
        if box is not None and t <= box.ts:
            late.append(True)
            continue
        late.append(False)
        cur = _inside(zones, lon, lat)
        if box is None:
            box = boxes[c] = _Box(t, lon, lat, fix)
            before: list[int] = []
        else:
            before = _inside(zones, box.lon, box.lat)
            # Dwell first: a deadline that passed since the last fix is stamped at the
            # deadline, with that last fix as evidence.
            for k in sorted(box.since):
                limit = zones[k].dwell_limit_s
                if limit is not None and k not in box.fired and box.since[k] + limit < t:
                    box.fired.add(k)
                    deadline = box.since[k] + limit
                    emit(
                        "dwell_exceeded", (*box.last[:3], deadline, *box.last[4:]), k, deadline - box.since[k]
                    )
            for k in before:
                if k not in cur:
                    emit("exit", fix, k, t - box.since.pop(k))
                    box.fired.discard(k)
            seg = LineString([(box.lon, box.lat), (lon, lat)])
            for k, z in enumerate(zones):
                if k not in before and k not in cur and shapely.intersects(z.geometry, seg):
                    emit("crossed", fix, k)
        for k in cur:
            if k not in before:
                box.since[k] = t
                emit("enter", fix, k)
        box.ts, box.lon, box.lat, box.last = t, lon, lat, fix
    return events, late
