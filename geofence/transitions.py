"""Per-container zone transitions in device time: enter, exit, crossed, dwell_exceeded.

For each container the tracker keeps a ``ContainerZones`` (last fix, zones inside
since when). A micro-batch of fixes is handled as follows:

- a fix whose ts is at or before its container's last processed ts is *late*: it
  changes no state and emits nothing (it is flagged in ``TrackerOutput.late``);
- the first fix ever of a container emits ``enter`` for every zone containing it;
- every later in-order fix emits, in this order: ``dwell_exceeded`` for zones
  whose limit ran out since the previous fix, ``exit`` for zones left,
  ``crossed`` for zones the straight segment from the previous fix touches that
  contain neither fix, ``enter`` for zones entered; within one kind, zones come
  in index order. ``dwell_s`` is set on exit and dwell_exceeded.
- ``dwell_exceeded`` is a timer: it is stamped at the deadline (entry + limit),
  with ``dwell_s`` = the limit and the last fix at or before the deadline as
  evidence, whether the next fix or ``on_watermark`` finds it first.

The results depend only on the sequence of fixes, not on how it is cut into
micro-batches nor on when the watermark advances. Zone ids in state that the index no longer knows are dropped
silently (no exit: their type is unknown).
"""

from __future__ import annotations

import heapq
from datetime import UTC, datetime

import numpy as np

from cargotrail.contract.ids import geofence_event_id
from cargotrail.contract.records import GeofenceEvent, GeofenceKind
from geofence.index import ZoneIndex
from geofence.state import ContainerZones, Fixes, TrackerOutput

__all__ = ["ContainerZones", "Fixes", "TrackerOutput", "ZoneTracker"]

# An event's evidence: container, device, reading id, ts, lon, lat.
_Fix = tuple[str, str, str, float, float, float]
_INF = float("inf")
_NEW, _FROM_STATE = -2, -1  # predecessor codes: first fix ever / last fix kept in state

_ENTER, _EXIT, _CROSSED, _DWELL = (
    GeofenceKind.ENTER, GeofenceKind.EXIT, GeofenceKind.CROSSED, GeofenceKind.DWELL_EXCEEDED,
)  # fmt: skip


class ZoneTracker:
    """Turns micro-batches of fixes into geofence events; ``state`` is keyed by container id.

    ``state`` may be replaced wholesale (e.g. restored from a changelog) between batches.
    """

    def __init__(self, index: ZoneIndex) -> None:
        self.index = index
        self.state: dict[str, ContainerZones] = {}
        self._limit = {z.zone_id: z.dwell_limit_s for z in index.zones if z.dwell_limit_s is not None}
        self._zone_ids = [z.zone_id for z in index.zones]
        self._has_limit = np.array([z.dwell_limit_s is not None for z in index.zones], dtype=bool)
        self._limited = self._has_limit.tolist()
        # Dwell deadlines: (entry + limit, container, zone id, entry); stale ones are skipped.
        self._deadlines: list[tuple[float, str, str, float]] = []

    def process(self, fixes: Fixes) -> TrackerOutput:
        """Apply one micro-batch (see the module docstring for the semantics)."""
        n = len(fixes)
        hit_fix, hit_zone = self.index.containing(fixes.lons, fixes.lats)
        cids, dids, rids, tsl = fixes.container_ids, fixes.device_ids, fixes.reading_ids, fixes.ts.tolist()
        lons, lats = fixes.lons.tolist(), fixes.lats.tolist()

        # Pass 1: late flags, each fix's predecessor, and the state moved to the last fix.
        boxes: list[ContainerZones | None] = [None] * n  # None: late
        prev = [_NEW] * n  # index of the predecessor in this batch, or _NEW / _FROM_STATE
        start_lon, start_lat = [np.nan] * n, [np.nan] * n  # predecessor position when in state
        prior: dict[int, _Fix] = {}  # the predecessor fix itself when it is in state
        latest: dict[str, int] = {}
        state = self.state
        for i, c in enumerate(cids):
            t = tsl[i]
            s = state.get(c)
            if s is None:
                s = state[c] = ContainerZones(t, lons[i], lats[i], rids[i], dids[i])
            elif t <= s.last_ts:
                continue
            else:
                j = latest.get(c)
                if j is None:
                    prev[i], start_lon[i], start_lat[i] = _FROM_STATE, s.last_lon, s.last_lat
                    prior[i] = (c, s.last_device_id, s.last_reading_id, s.last_ts, s.last_lon, s.last_lat)
                else:
                    prev[i] = j
                s.last_ts, s.last_lon, s.last_lat, s.last_reading_id, s.last_device_id = (
                    t, lons[i], lats[i], rids[i], dids[i],
                )  # fmt: skip
            boxes[i] = s
            latest[c] = i

        late = np.array([b is None for b in boxes], dtype=bool)
        keep = ~late[hit_fix]
        hit_fix, hit_zone = hit_fix[keep], hit_zone[keep]
        # CSR view of the hits: zones of fix i are zl[offs[i]:offs[i + 1]], ascending.
        offs = np.searchsorted(hit_fix, np.arange(n + 1)).tolist()
        zl = hit_zone.tolist()
        crossings = self._crossings(fixes, prev, start_lon, start_lat)
        events = self._transitions(fixes, boxes, prev, prior, offs, zl, crossings)
        return TrackerOutput(events, late, (hit_fix, hit_zone))

    def on_watermark(self, ts: float) -> list[GeofenceEvent]:
        """Fire ``dwell_exceeded`` for containers still inside a zone whose deadline is before ``ts``.

        Timer semantics: no new fix is needed. Call it only once every fix up to ``ts``
        has been processed; then the container's last fix is at or before the deadline.
        """
        events: list[GeofenceEvent] = []
        heap = self._deadlines
        while heap and heap[0][0] < ts:
            deadline, c, zid, since = heapq.heappop(heap)
            s = self.state.get(c)
            if s is None or s.inside.get(zid) != since or zid in s.dwell_fired:
                continue  # left, re-entered or already fired
            s.dwell_fired.append(zid)
            fix = (c, s.last_device_id, s.last_reading_id, deadline, s.last_lon, s.last_lat)
            events.append(self._event(_DWELL, fix, self.index.position[zid], deadline - since))
        return events

    def restore_timers(self) -> None:
        """Rebuild dwell deadlines after ``state`` was replaced wholesale (e.g. from a changelog)."""
        self._deadlines = [
            (since + self._limit[zid], c, zid, since)
            for c, s in self.state.items()
            for zid, since in s.inside.items()
            if zid in self._limit and zid not in s.dwell_fired
        ]
        heapq.heapify(self._deadlines)

    def _crossings(
        self, fixes: Fixes, prev: list[int], start_lon: list[float], start_lat: list[float]
    ) -> dict[int, list[int]]:
        """Fix index -> zones (index order) its incoming segment touches but neither end is in."""
        prev_arr = np.array(prev, dtype=np.intp)
        in_batch = prev_arr >= 0
        seg_end = np.flatnonzero(in_batch | (prev_arr == _FROM_STATE))
        if not seg_end.size:
            return {}
        lon0, lat0 = np.array(start_lon), np.array(start_lat)
        lon0[in_batch], lat0[in_batch] = fixes.lons[prev_arr[in_batch]], fixes.lats[prev_arr[in_batch]]
        lon0, lat0, lon1, lat1 = lon0[seg_end], lat0[seg_end], fixes.lons[seg_end], fixes.lats[seg_end]
        # Same point predicate as ``containing``: "contains an end" agrees with the hits exactly.
        segs, zones = self.index.passed_through(lon0, lat0, lon1, lat1)
        out: dict[int, list[int]] = {}
        for i, z in zip(seg_end[segs].tolist(), zones.tolist(), strict=True):
            out.setdefault(i, []).append(z)
        return out

    def _transitions(
        self,
        fixes: Fixes,
        boxes: list[ContainerZones | None],
        prev: list[int],
        prior: dict[int, _Fix],
        offs: list[int],
        zl: list[int],
        crossings: dict[int, list[int]],
    ) -> list[GeofenceEvent]:
        """Pass 2: one tight loop over in-order fixes; objects are built only for events."""
        events: list[GeofenceEvent] = []
        zone_ids, tsl, limited = self._zone_ids, fixes.ts.tolist(), self._limited
        for i, s in enumerate(boxes):
            if s is None:
                continue
            cur = zl[offs[i] : offs[i + 1]]
            j = prev[i]
            if j >= 0:
                before = zl[offs[j] : offs[j + 1]]
            elif j == _NEW or not (inside := s.inside):
                before = []
            elif len(inside) == len(cur) and (
                zone_ids[cur[0]] in inside if len(cur) == 1 else all(zone_ids[z] in inside for z in cur)
            ):
                before = cur
            else:
                before = self._positions(s)
            if before and any(limited[z] for z in before) and (due := self._overdue(s, tsl[i])):
                # The deadline passed between the previous fix and this one: stamp it at the
                # deadline, with the previous fix (the last one before it) as evidence.
                last = self._evidence(fixes, j) if j >= 0 else prior[i]
                for z in due:
                    zid = zone_ids[z]
                    since = s.inside[zid]
                    s.dwell_fired.append(zid)
                    deadline = since + self._limit[zid]
                    events.append(self._event(_DWELL, (*last[:3], deadline, *last[4:]), z, deadline - since))
            crossed = crossings.get(i)
            if cur != before or crossed is not None:
                fix = self._evidence(fixes, i)
                self._move(events, s, fix, before, cur, crossed or [])
        return events

    @staticmethod
    def _evidence(fixes: Fixes, i: int) -> _Fix:
        return (fixes.container_ids[i], fixes.device_ids[i], fixes.reading_ids[i],
                float(fixes.ts[i]), float(fixes.lons[i]), float(fixes.lats[i]))  # fmt: skip

    def _move(
        self, events: list[GeofenceEvent], s: ContainerZones, fix: _Fix, before: list[int], cur: list[int],
        crossed: list[int],
    ) -> None:  # fmt: skip
        """Exit zones left, report zones crossed, enter zones entered (each in index order)."""
        t, zone_ids = fix[3], self._zone_ids
        for z in before:
            if z not in cur:
                zid = zone_ids[z]
                since = s.inside.pop(zid, t)
                if zid in s.dwell_fired:
                    s.dwell_fired.remove(zid)
                events.append(self._event(_EXIT, fix, z, t - since))
        events.extend(self._event(_CROSSED, fix, z) for z in crossed)
        for z in cur:
            if z not in before:
                zid = zone_ids[z]
                s.inside[zid] = t
                events.append(self._event(_ENTER, fix, z))
                if self._limited[z]:
                    heapq.heappush(self._deadlines, (t + self._limit[zid], fix[0], zid, t))

    def _positions(self, s: ContainerZones) -> list[int]:
        """Zone indices of ``s.inside`` in index order, dropping ids the index does not know."""
        position = self.index.position
        for zid in [z for z in s.inside if z not in position]:
            del s.inside[zid]
            if zid in s.dwell_fired:
                s.dwell_fired.remove(zid)
        return sorted(position[z] for z in s.inside)

    def _overdue(self, s: ContainerZones, t: float) -> list[int]:
        """Zones (index order) whose dwell limit ``s`` exceeds at ``t`` without having fired."""
        limit, fired = self._limit, s.dwell_fired
        due = [z for z, since in s.inside.items() if since + limit.get(z, _INF) < t and z not in fired]
        return sorted(self.index.position[z] for z in due) if due else []

    def _event(self, kind: GeofenceKind, fix: _Fix, z: int, dwell_s: float | None = None) -> GeofenceEvent:
        container_id, device_id, rid, t, lon, lat = fix
        zone = self.index.zones[z]
        return GeofenceEvent(
            event_id=geofence_event_id(kind.value, container_id, zone.zone_id, rid),
            kind=kind,
            container_id=container_id,
            device_id=device_id,
            zone_id=zone.zone_id,
            zone_type=zone.zone_type,
            ts=datetime.fromtimestamp(t, UTC),
            lat=lat,
            lon=lon,
            reading_id=rid,
            dwell_s=dwell_s,
        )
