"""The zone tracker's per-container state: columns by code plus entry times, and its snapshot form.

``ZoneTracker`` keeps each container's hot fields in ``ZoneColumns`` (indexed by an
integer code given on first sight) and, only for containers inside some zone, the
entry time of each zone and the zones whose dwell alert already fired. Tests,
changelogs and debugging see all of it as ``state``: a ``dict[str, ContainerZones]``
snapshot, which can be assigned back to restore the tracker.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from geofence.batch import IntArray
from geofence.columns import ZoneColumns
from geofence.events import EventMaker, Fix
from geofence.index import ZoneIndex
from geofence.state import ContainerZones

_INF = float("inf")


class TrackedContainers:
    """State keeping for ``ZoneTracker``: codes, columns, entry times, fired alerts, dwell deadlines."""

    def __init__(self, index: ZoneIndex) -> None:
        self._use_index(index)
        self.generation = 0  # bumped whenever codes are renumbered (``state`` assigned)
        self._reset()

    def _use_index(self, index: ZoneIndex) -> None:
        """Everything derived from the zones alone (state refers to zones by id, rows by index)."""
        self.index = index
        self._event = EventMaker(index)
        self._limit = {z.zone_id: z.dwell_limit_s for z in index.zones if z.dwell_limit_s is not None}
        self._zone_ids = [z.zone_id for z in index.zones]
        self._limited = [z.dwell_limit_s is not None for z in index.zones]
        self._limited_arr = np.array(self._limited, dtype=bool)

    def _reset(self) -> None:
        self.generation += 1
        self.cols = ZoneColumns()
        self._codes: dict[str, int] = {}
        self._ids: list[str] = []  # code -> container id
        self._inside: dict[int, dict[str, float]] = {}  # code -> zone id -> entry ts
        self._fired: dict[int, list[str]] = {}  # code -> zones whose dwell alert fired this visit
        # Dwell deadlines: (entry + limit, container, zone id, entry); stale ones are skipped.
        self._deadlines: list[tuple[float, str, str, float]] = []

    # -- state ----------------------------------------------------------------------
    @property
    def state(self) -> dict[str, ContainerZones]:
        """A snapshot of every container's state, in first-seen order (costs O(containers))."""
        known = np.flatnonzero(self.cols.last_ts[: len(self._ids)] > -np.inf).tolist()
        return {self._ids[c]: self._snapshot(c) for c in known}

    @state.setter
    def state(self, value: Mapping[str, ContainerZones]) -> None:
        """Restore from ``value`` (copied); the next in-order fix of each container re-checks its zones."""
        self._reset()
        k = self.cols
        for cid, s in value.items():
            c = self._code(cid)
            k.ensure(c + 1)
            k.last_ts[c], k.last_lon[c], k.last_lat[c] = s.last_ts, s.last_lon, s.last_lat
            k.last_rid[c], k.last_dev[c] = s.last_reading_id, s.last_device_id
            self._inside[c], self._fired[c] = dict(s.inside), list(s.dwell_fired)
            # Its zone set row is unknown until its next fix re-checks it, even when empty: the
            # snapshot may come from another index, so its last fix's zones are not to be copied.
            k.odd[c] = True
        self.restore_timers()

    def snapshot(self, container_ids: Iterable[str]) -> dict[str, ContainerZones]:
        """The state of just ``container_ids`` (those ever seen), e.g. the ones a batch touched."""
        codes = (self._codes.get(cid) for cid in container_ids)
        k = self.cols
        return {self._ids[c]: self._snapshot(c) for c in codes if c is not None and k.last_ts[c] > -np.inf}

    def _snapshot(self, c: int) -> ContainerZones:
        k = self.cols
        return ContainerZones(
            float(k.last_ts[c]),
            float(k.last_lon[c]),
            float(k.last_lat[c]),
            str(k.last_rid[c]),
            str(k.last_dev[c]),
            dict(self._inside.get(c, {})),
            list(self._fired.get(c, [])),
        )

    def restore_timers(self) -> None:
        """Rebuild the dwell deadlines from the current state (assigning ``state`` already does)."""
        self._deadlines = [
            (since + self._limit[zid], self._ids[c], zid, since)
            for c, inside in self._inside.items()
            for zid, since in inside.items()
            if zid in self._limit and zid not in self._fired.get(c, ())
        ]
        heapq.heapify(self._deadlines)

    def _code(self, cid: str) -> int:
        c = self._codes.get(cid)
        if c is None:
            c = self._codes[cid] = len(self._ids)
            self._ids.append(cid)
        return c

    def codes_of(self, container_ids: Sequence[str] | npt.NDArray[np.object_]) -> IntArray:
        """The code of each container, numbering those never seen in order of appearance.

        Codes stay valid until ``state`` is assigned (which bumps ``generation``).
        """
        codes = list(map(self._codes.get, container_ids))
        if None in codes:
            codes = [self._code(c) for c in container_ids]
        self.cols.ensure(len(self._ids))
        return np.array(codes, dtype=np.intp)

    def _refresh_due(self, c: int) -> None:
        """Recompute ``next_due[c]`` after ``c``'s zones or fired alerts changed."""
        limit, fired = self._limit, self._fired.get(c, ())
        self.cols.next_due[c] = min(
            (
                since + limit[z]
                for z, since in self._inside.get(c, {}).items()
                if z in limit and z not in fired
            ),
            default=_INF,
        )

    def _state_fix(self, c: int, at: float | None = None) -> Fix:
        """The last fix of ``c`` from its state; stamped ``at`` instead of its own time when given."""
        k = self.cols
        ts = float(k.last_ts[c]) if at is None else at
        dev, rid = str(k.last_dev[c]), str(k.last_rid[c])
        return (self._ids[c], dev, rid, ts, float(k.last_lon[c]), float(k.last_lat[c]))

    def _positions(self, c: int) -> list[int]:
        """Zone indices ``c`` is inside, in index order, dropping ids the index does not know."""
        inside = self._inside.get(c)
        if not inside:
            return []
        position, fired = self.index.position, self._fired.get(c, [])
        for zid in [z for z in inside if z not in position]:
            del inside[zid]
            if zid in fired:
                fired.remove(zid)
        return sorted(position[z] for z in inside)

    def _overdue(self, c: int, t: float) -> list[int]:
        """Zones (index order) whose dwell limit ``c`` exceeds at ``t`` without having fired."""
        limit, fired = self._limit, self._fired.get(c, ())
        due = [z for z, since in self._inside[c].items() if since + limit.get(z, _INF) < t and z not in fired]
        return sorted(self.index.position[z] for z in due) if due else []
