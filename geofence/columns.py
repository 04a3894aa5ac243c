"""The zone tracker's hot per-container state, as arrays indexed by container code.

A micro-batch of a large fleet holds about one fix per container, so per-container
Python work is per-fix work. The fields every fix reads or writes (last fix, the
set of zones the container is inside, the next dwell deadline) live here and are
read and written for a whole batch at once. Entry times and fired dwell alerts
(``ZoneTracker._inside`` / ``_fired``) stay Python dicts: only containers whose
zone set changes, or whose dwell limit runs out, touch them.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

ZONE_SET_WIDTH = 16  # zones per container held in ``zset``; more makes the container ``odd``


class ZoneColumns:
    """Per-code columns; a code never seen has ``last_ts == -inf``.

    ``zset[c]`` lists, ascending and padded with -1, the zone indices container ``c``
    is inside (exactly the keys of its entry times) unless ``odd[c]``: then that row
    is not to be trusted (state restored from outside and not yet re-checked, or more
    than ``ZONE_SET_WIDTH`` zones) and the container takes the per-fix path.
    ``next_due[c]`` is the earliest deadline (entry + limit) of a zone it is inside
    whose dwell alert has not fired (+inf when none).
    """

    def __init__(self) -> None:
        self.cap = 0
        self.last_ts: npt.NDArray[np.float64] = np.zeros(0)
        self.last_lon: npt.NDArray[np.float64] = np.zeros(0)
        self.last_lat: npt.NDArray[np.float64] = np.zeros(0)
        self.next_due: npt.NDArray[np.float64] = np.zeros(0)
        self.last_rid: npt.NDArray[np.object_] = np.zeros(0, object)
        self.last_dev: npt.NDArray[np.object_] = np.zeros(0, object)
        self.odd: npt.NDArray[np.bool_] = np.zeros(0, bool)
        self.zset: npt.NDArray[np.int32] = np.zeros((0, ZONE_SET_WIDTH), np.int32)

    def ensure(self, n: int) -> None:
        """Room for codes ``0..n-1``; new slots start as never seen."""
        if n <= self.cap:
            return
        cap = max(1024, 2 * self.cap, n)
        fills: dict[str, object] = {
            "last_ts": -np.inf,
            "last_lon": 0.0,
            "last_lat": 0.0,
            "next_due": np.inf,
            "last_rid": "",
            "last_dev": "",
            "odd": False,
            "zset": -1,
        }
        for name, fill in fills.items():
            arr = getattr(self, name)
            grown = np.empty((cap, *arr.shape[1:]), dtype=arr.dtype)
            grown[: self.cap] = arr
            grown[self.cap :] = fill
            setattr(self, name, grown)
        self.cap = cap
