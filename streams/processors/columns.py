"""The hot per-container state as arrays indexed by container code.

A micro-batch of a large fleet holds about one reading per container, so any
per-container Python work is per-reading work. The fields every reading
touches (last accepted fix, last signal, whether an episode is open) live
here, read and written for a whole batch at once; the rest of a container's
state (open episodes) lives in a ``ContainerState`` that only the rare
unusual containers load (``AnomalyProcessor._load`` / ``_store``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

_FLOAT_INF = ("last_ts", "seen_ts", "fired_for")
_FLOAT_ZERO = ("last_lon", "last_lat", "seen_lon", "seen_lat")
_OBJECT = ("last_rid", "last_dev", "seen_rid", "seen_dev")


class Columns:
    def __init__(self) -> None:
        self.cap = 0
        self.last_ts: npt.NDArray[np.float64] = np.zeros(0)
        self.last_lon: npt.NDArray[np.float64] = np.zeros(0)
        self.last_lat: npt.NDArray[np.float64] = np.zeros(0)
        self.seen_ts: npt.NDArray[np.float64] = np.zeros(0)
        self.seen_lon: npt.NDArray[np.float64] = np.zeros(0)
        self.seen_lat: npt.NDArray[np.float64] = np.zeros(0)
        self.fired_for: npt.NDArray[np.float64] = np.zeros(0)  # seen_ts whose silence was raised
        self.last_rid: npt.NDArray[np.object_] = np.zeros(0, object)
        self.last_dev: npt.NDArray[np.object_] = np.zeros(0, object)
        self.seen_rid: npt.NDArray[np.object_] = np.zeros(0, object)
        self.seen_dev: npt.NDArray[np.object_] = np.zeros(0, object)
        self.busy: npt.NDArray[np.bool_] = np.zeros(0, bool)  # an episode is open: take the slow path

    def ensure(self, n: int) -> None:
        """Room for codes ``0..n-1``; new slots start empty."""
        if n <= self.cap:
            return
        cap = max(1024, 2 * self.cap, n)
        old = self.cap
        for name in (*_FLOAT_INF, *_FLOAT_ZERO, *_OBJECT, "busy"):
            arr = getattr(self, name)
            grown = np.empty(cap, dtype=arr.dtype)
            grown[:old] = arr
            if name in _FLOAT_INF:
                grown[old:] = -np.inf
            elif name in _OBJECT:
                grown[old:] = ""
            else:
                grown[old:] = 0
            setattr(self, name, grown)
        self.cap = cap
