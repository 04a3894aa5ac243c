"""Device codes, and their order as Python orders the device id strings."""

from __future__ import annotations

import bisect

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Objects = npt.NDArray[np.object_]


class DeviceRanks:
    """Devices numbered on first sight (codes), and each code's rank in Python string order."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.names: Objects = np.empty(0, dtype=object)  # code -> device id
        self.rank: Ints = np.empty(0, dtype=np.int64)  # code -> position in ``_sorted``
        self._sorted: list[str] = []

    def code_all(self, devices: list[str]) -> Ints:
        got = list(map(self.codes.get, devices))
        if None in got:
            self._add(sorted({d for d, c in zip(devices, got, strict=True) if c is None}))
            got = list(map(self.codes.__getitem__, devices))
        return np.array(got, dtype=np.int64)

    def _add(self, new: list[str]) -> None:
        """Register ``new`` (sorted, unseen) devices; old ranks shift past the names inserted before them."""
        where = np.array([bisect.bisect_left(self._sorted, d) for d in new], dtype=np.int64)
        shift = np.searchsorted(where, self.rank, side="right")
        new_rank = where + np.arange(len(new))
        self.rank = np.concatenate((self.rank + shift, new_rank))
        # Two sorted runs: timsort merges them in linear time, in C (heapq.merge steps in Python).
        self._sorted.extend(new)
        self._sorted.sort()
        first = len(self.codes)
        for k, d in enumerate(new):
            self.codes[d] = first + k
        self.names = np.concatenate((self.names, np.fromiter(new, dtype=object, count=len(new))))

    @classmethod
    def of(cls, names: list[str]) -> DeviceRanks:
        """The devices ``names``, numbered in that order (codes as they were when ``names`` was read)."""
        out = cls()
        out.codes = {d: c for c, d in enumerate(names)}
        out.names = np.fromiter(names, dtype=object, count=len(names))
        out._sorted = sorted(names)
        position = {d: i for i, d in enumerate(out._sorted)}
        out.rank = np.fromiter((position[d] for d in names), dtype=np.int64, count=len(names))
        return out
