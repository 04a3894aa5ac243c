"""Replacing the zone tracker's zones while a stream runs (an admin saved or deleted a zone).

The swap happens at device time ``t``: the stream's watermark, at least every container's last
accepted fix. What a port operator sees then:

- Old-zone dwell timers due before ``t`` fire first, under the old limits (``on_watermark(t)``).
- Each tracked container's zones are re-evaluated at its last accepted fix against the new zones.
- A zone it stays inside (same zone id, still containing that fix) keeps its entry time; a dwell
  alert that fired this visit stays fired. A changed dwell limit applies from the swap: a limit it
  has already overstayed (entry + new limit < ``t``) fires at once, stamped ``t``, with ``dwell_s``
  the time spent inside so far and the last fix as evidence. Otherwise it fires at entry + limit.
- A zone it is no longer inside (deleted, or reshaped away from the fix) ends its visit silently:
  the container did not move, so no ``exit`` is reported as if it had.
- A zone it is now inside (new, or reshaped over the fix) is entered at the swap: ``enter``
  stamped ``t`` with the last fix as evidence; its dwell counts from ``t``.

Events come container by container in first-seen order, dwell alerts before enters, each kind
in the new zones' order. Afterwards every container's zone set row holds the new zones exactly,
so the clearance shortcut (a move touching no boundary keeps the previous fix's zones,
``geofence.moves``) is sound again: the new index brings its own boundary grid.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from cargotrail.contract.records import GeofenceEvent, GeofenceKind
from geofence.columns import ZONE_SET_WIDTH
from geofence.index import ZoneIndex
from geofence.tracked import TrackedContainers


class ZoneSwap(TrackedContainers):
    """The swap half of ``ZoneTracker`` (``ZoneTracker.replace_zones`` fires due timers, then this)."""

    def swap_time(self, ts: float) -> float:
        """``ts``, raised to the newest last fix of any container (the swap never precedes a fix)."""
        n = len(self._ids)
        newest = float(self.cols.last_ts[:n].max()) if n else -np.inf
        return max(ts, newest)

    def _swap(self, index: ZoneIndex, t: float) -> list[GeofenceEvent]:
        self._use_index(index)
        k, n = self.cols, len(self._ids)
        known = np.flatnonzero(k.last_ts[:n] > -np.inf)
        pts, zs = index.containing(k.last_lon[known], k.last_lat[known])
        now_in: dict[int, list[int]] = {}
        for c, z in zip(known[pts].tolist(), zs.tolist(), strict=True):
            now_in.setdefault(c, []).append(z)  # ascending per container
        k.zset[:n], k.odd[:n], k.next_due[:n] = -1, False, np.inf
        events: list[GeofenceEvent] = []
        # No fix yet (t is -inf): nothing is tracked, so nothing is stamped.
        when = datetime.fromtimestamp(t, UTC) if np.isfinite(t) else datetime.min.replace(tzinfo=UTC)
        zone_ids, limit, event = self._zone_ids, self._limit, self._event
        for c in sorted(set(now_in) | {c for c, inside in self._inside.items() if inside}):
            cur = now_in.get(c, [])
            old, was_fired = self._inside.get(c, {}), self._fired.get(c, [])
            inside: dict[str, float] = {}
            fired: list[str] = []
            cid, did, rid, _, lon, lat = self._state_fix(c)
            fix = (cid, did, rid, t, lon, lat)
            for z in cur:
                zid = zone_ids[z]
                if zid not in old:
                    continue
                since = inside[zid] = old[zid]
                if zid in was_fired:
                    fired.append(zid)
                elif zid in limit and since + limit[zid] < t:
                    fired.append(zid)
                    events.append(event(GeofenceKind.DWELL_EXCEEDED, fix, z, t - since, when))
            for z in cur:
                if zone_ids[z] not in old:
                    inside[zone_ids[z]] = t
                    events.append(event(GeofenceKind.ENTER, fix, z, None, when))
            self._inside[c], self._fired[c] = inside, fired
            row = cur[:ZONE_SET_WIDTH]
            k.zset[c, : len(row)] = row
            k.odd[c] = len(cur) > ZONE_SET_WIDTH
            self._refresh_due(c)
        self.restore_timers()
        return events
