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
micro-batches nor on when the watermark advances. Zones can be replaced between batches
(``replace_zones``, rules in ``geofence.swap``). Zone ids in state that the index no longer knows are dropped
silently (no exit: their type is unknown), at the container's next in-order fix.

How (not part of the contract): pass 1 (``geofence.batch``) is vectorised over the
batch with per-container columns indexed by an integer code (``geofence.columns``);
only containers whose zone set changes, that pass through a zone or whose dwell
deadline falls due take the per-fix Python path below, in batch order. Geometry is
queried only for moves that may touch a zone boundary (``geofence.clearance``).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from cargotrail.contract.records import GeofenceEvent, GeofenceKind
from geofence.batch import BatchPlan, IntArray, plan_batch
from geofence.columns import ZONE_SET_WIDTH
from geofence.events import Fix, Pending
from geofence.index import ZoneIndex
from geofence.moves import NEW
from geofence.state import ContainerZones, Fixes, TrackerOutput
from geofence.swap import ZoneSwap

__all__ = ["ContainerZones", "Fixes", "TrackerOutput", "ZoneTracker"]

_INF = float("inf")
_ENTER, _EXIT, _CROSSED, _DWELL = (
    GeofenceKind.ENTER,
    GeofenceKind.EXIT,
    GeofenceKind.CROSSED,
    GeofenceKind.DWELL_EXCEEDED,
)


class ZoneTracker(ZoneSwap):
    """Turns micro-batches of fixes into geofence events.

    ``ZoneTracker(index)``. ``state`` reads as a snapshot ``dict[str, ContainerZones]``
    keyed by container id (mutating the snapshot changes nothing); assigning a mapping
    to it between batches restores the tracker from it, dwell timers included (e.g.
    from a changelog). See ``geofence.tracked``. ``replace_zones`` swaps the zones in while
    keeping every container's state (``geofence.swap``).
    """

    def replace_zones(self, index: ZoneIndex, ts: float) -> list[GeofenceEvent]:
        """Track against ``index`` from device time ``ts`` on (the watermark); the swap's events.

        Call it between batches. See ``geofence.swap`` for what the swap reports.
        """
        t = self.swap_time(ts)
        events = self.on_watermark(t)
        events.extend(self._swap(index, t))
        return events

    # -- batches --------------------------------------------------------------------
    def process(self, fixes: Fixes, codes: IntArray | None = None) -> TrackerOutput:
        """Apply one micro-batch (see the module docstring for the semantics).

        ``codes``: ``codes_of(fixes.container_ids)``, when the caller has it already.
        """
        n = len(fixes)
        if not n:
            empty = np.empty(0, dtype=np.intp)
            return TrackerOutput([], np.zeros(0, dtype=bool), (empty, empty))
        if codes is None:
            codes = self.codes_of(fixes.container_ids)
        plan = plan_batch(self.index, self.cols, codes, fixes.ts, fixes.lons, fixes.lats)
        events = self._per_fix(fixes, codes, plan)
        # Every container with an in-order fix: its last one becomes the state's last fix.
        k, last = self.cols, plan.last
        c_last = codes[last]
        k.last_ts[c_last] = fixes.ts[last]
        k.last_lon[c_last] = fixes.lons[last]
        k.last_lat[c_last] = fixes.lats[last]
        k.last_rid[c_last] = _objects(fixes.reading_ids)[last]
        k.last_dev[c_last] = _objects(fixes.device_ids)[last]
        # Containers that took the per-fix path are now inside exactly the zones of their
        # last fix: that is their zone set row, and only a limited zone among them can be due.
        slow_last = last[plan.slow]
        c_slow = codes[slow_last]
        k.zset[c_slow] = plan.rows[slow_last]
        k.odd[c_slow] = plan.offs[slow_last + 1] - plan.offs[slow_last] > ZONE_SET_WIDTH
        limited = np.zeros(n, dtype=bool)
        limited[plan.hit_fix[self._limited_arr[plan.hit_zone]]] = True
        timed = limited[slow_last]
        k.next_due[c_slow[~timed]] = _INF
        for c in c_slow[timed].tolist():
            self._refresh_due(c)
        return TrackerOutput(events, plan.late, (plan.hit_fix, plan.hit_zone))

    def on_watermark(self, ts: float) -> list[GeofenceEvent]:
        """Fire ``dwell_exceeded`` for containers still inside a zone whose deadline is before ``ts``.

        Timer semantics: no new fix is needed. Call it only once every fix up to ``ts``
        has been processed; then the container's last fix is at or before the deadline.
        """
        events: list[GeofenceEvent] = []
        heap = self._deadlines
        while heap and heap[0][0] < ts:
            deadline, cid, zid, since = heapq.heappop(heap)
            c = self._codes.get(cid)
            if c is None or self._inside.get(c, {}).get(zid) != since or zid in self._fired.get(c, ()):
                continue  # left, re-entered or already fired
            self._fired.setdefault(c, []).append(zid)
            fix = self._state_fix(c, at=deadline)
            events.append(self._event(_DWELL, fix, self.index.position[zid], deadline - since))
            self._refresh_due(c)
        return events

    def _per_fix(self, fixes: Fixes, codes: IntArray, plan: BatchPlan) -> list[GeofenceEvent]:
        """Pass 2, in batch order, over the fixes of containers that are not quiet."""
        events: list[Pending] = []  # built at the end, all at once
        sf = plan.slow_fixes
        if not sf.size:
            return []
        offs, zl = plan.offs.tolist(), plan.hit_zone.tolist()
        zone_ids, limited, crossings = self._zone_ids, self._limited, plan.crossings
        sc = codes[sf]
        held, odd = self.cols.zset[sc].tolist(), self.cols.odd[sc].tolist()  # zones before, from state
        walked: dict[int, tuple[list[int], Fix]] = {}  # code -> (zones, fix) of its last fix so far
        ids = (fixes.container_ids, fixes.device_ids, fixes.reading_ids)
        cids, dids, rids = (_objects(f)[sf].tolist() for f in ids)
        numeric = (sf, sc, plan.prev[sf], fixes.ts[sf], fixes.lons[sf], fixes.lats[sf])
        walk = zip(*(a.tolist() for a in numeric), held, odd, cids, dids, rids, strict=True)
        for i, c, j, t, lon, lat, row, bad, cid, did, rid in walk:
            fix = (cid, did, rid, t, lon, lat)
            cur = zl[offs[i] : offs[i + 1]]
            w = walked.get(c)
            last: Fix | None = None
            if w is not None:
                before, last = w
            elif j == NEW:
                before = []
            elif bad:
                before = self._positions(c)
            else:
                before = row[: row.index(-1)] if -1 in row else row
            if before and any(limited[z] for z in before) and (due := self._overdue(c, t)):
                # The deadline passed between the previous fix and this one: stamp it at the
                # deadline, with the previous fix (the last one before it) as evidence.
                last = last or self._state_fix(c)
                inside, fired = self._inside[c], self._fired.setdefault(c, [])
                for z in due:
                    zid = zone_ids[z]
                    since = inside[zid]
                    fired.append(zid)
                    deadline = since + self._limit[zid]
                    events.append((_DWELL, (*last[:3], deadline, *last[4:]), z, deadline - since, None))
            crossed = crossings.get(i)
            if cur != before or crossed is not None:
                self._move(events, c, fix, before, cur, crossed or [])
            walked[c] = (cur, fix)
        return self._event.build(events)

    def _move(
        self, events: list[Pending], c: int, fix: Fix, before: list[int], cur: list[int], crossed: list[int]
    ) -> None:
        """Exit zones left, report zones crossed, enter zones entered (each in index order)."""
        t, zone_ids = fix[3], self._zone_ids
        when = datetime.fromtimestamp(t, UTC)  # shared by every event of this fix
        inside = self._inside.setdefault(c, {})
        for z in before:
            if z not in cur:
                zid = zone_ids[z]
                since = inside.pop(zid, t)
                fired = self._fired.get(c)
                if fired and zid in fired:
                    fired.remove(zid)
                events.append((_EXIT, fix, z, t - since, when))
        if crossed:
            events.extend((_CROSSED, fix, z, None, when) for z in crossed)
        for z in cur:
            if z not in before:
                zid = zone_ids[z]
                inside[zid] = t
                events.append((_ENTER, fix, z, None, when))
                if self._limited[z]:
                    heapq.heappush(self._deadlines, (t + self._limit[zid], fix[0], zid, t))


def _objects(items: Sequence[str] | npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """``items`` as a 1-d object array (itself when it is one)."""
    if isinstance(items, np.ndarray):
        return items
    return np.fromiter(items, dtype=object, count=len(items))
