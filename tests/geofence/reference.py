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
    since: dict[str, float] = field(default_factory=dict)  # by zone id
    fired: set[str] = field(default_factory=set)


def _inside(zones: list[Zone], lon: float, lat: float) -> list[int]:
    p = Point(lon, lat)
    return [k for k, z in enumerate(zones) if shapely.intersects(z.geometry, p)]


class Reference:
    """The transition rules replayed fix by fix; ``swap`` applies ``geofence.swap``'s rules literally.

    Entry times and fired alerts are kept by zone id, so a swap carries them over by id.
    """

    def __init__(self, zones: list[Zone]) -> None:
        self.zones = zones
        self.boxes: dict[str, _Box] = {}
        self.events: list[EventKey] = []
        self.late: list[bool] = []

    def _emit(self, kind: str, fix: Fix, k: int, dwell: float | None = None) -> None:
        c, d, r, t, lon, lat = fix
        self.events.append((kind, c, d, self.zones[k].zone_id, r, t, lon, lat, dwell))

    def _limit(self, zid: str) -> float | None:
        return next((z.dwell_limit_s for z in self.zones if z.zone_id == zid), None)

    def _pos(self, zid: str) -> int:
        return next(k for k, z in enumerate(self.zones) if z.zone_id == zid)

    def feed(self, fix: Fix) -> None:
        zones = self.zones
        c, _, _, t, lon, lat = fix
        box = self.boxes.get(c)
        if box is not None and t <= box.ts:
            self.late.append(True)
            return
        self.late.append(False)
        cur = _inside(zones, lon, lat)
        if box is None:
            box = self.boxes[c] = _Box(t, lon, lat, fix)
            before: list[int] = []
        else:
            before = _inside(zones, box.lon, box.lat)
            # Dwell first: a deadline that passed since the last fix is stamped at the
            # deadline, with that last fix as evidence.
            for zid in sorted(box.since, key=self._pos):
                limit = self._limit(zid)
                if limit is not None and zid not in box.fired and box.since[zid] + limit < t:
                    box.fired.add(zid)
                    deadline = box.since[zid] + limit
                    self._emit(
                        "dwell_exceeded", (*box.last[:3], deadline, *box.last[4:]), self._pos(zid), limit
                    )
            for k in before:
                if k not in cur:
                    zid = zones[k].zone_id
                    self._emit("exit", fix, k, t - box.since.pop(zid))
                    box.fired.discard(zid)
            seg = LineString([(box.lon, box.lat), (lon, lat)])
            for k, z in enumerate(zones):
                if k not in before and k not in cur and shapely.intersects(z.geometry, seg):
                    self._emit("crossed", fix, k)
        for k in cur:
            if k not in before:
                box.since[zones[k].zone_id] = t
                self._emit("enter", fix, k)
        box.ts, box.lon, box.lat, box.last = t, lon, lat, fix

    def swap(self, new_zones: list[Zone], t: float) -> None:
        """Old timers due before ``t`` fire (by deadline, container, zone id), then each box is re-checked."""
        due: list[tuple[float, str, str]] = []
        for c, box in self.boxes.items():
            for zid, entered in box.since.items():
                limit = self._limit(zid)
                if limit is not None and zid not in box.fired and entered + limit < t:
                    due.append((entered + limit, c, zid))
        for deadline, c, zid in sorted(due):
            box = self.boxes[c]
            box.fired.add(zid)
            self._emit(
                "dwell_exceeded",
                (*box.last[:3], deadline, *box.last[4:]),
                self._pos(zid),
                deadline - box.since[zid],
            )
        self.zones = new_zones
        for box in self.boxes.values():
            cur = _inside(new_zones, box.lon, box.lat)
            at_swap: Fix = (*box.last[:3], t, *box.last[4:])
            since = {
                new_zones[k].zone_id: box.since[new_zones[k].zone_id]
                for k in cur
                if new_zones[k].zone_id in box.since
            }
            box.fired &= set(since)
            for zid in sorted(since, key=self._pos):
                limit = self._limit(zid)
                if limit is not None and zid not in box.fired and since[zid] + limit < t:
                    box.fired.add(zid)
                    self._emit("dwell_exceeded", at_swap, self._pos(zid), t - since[zid])
            for k in cur:
                if new_zones[k].zone_id not in since:
                    since[new_zones[k].zone_id] = t
                    self._emit("enter", at_swap, k)
            box.since = since


def reference(zones: list[Zone], fixes: list[Fix]) -> tuple[list[EventKey], list[bool]]:
    """Events (as keys) and late flags for ``fixes`` processed one by one."""
    ref = Reference(zones)
    for fix in fixes:
        ref.feed(fix)
    return ref.events, ref.late
