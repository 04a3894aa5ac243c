"""Where no zone boundary is: an exact, conservative test that a move touches no boundary.

If the straight segment between two fixes touches no zone's boundary, every zone holds
either all of the segment or none of it: the second fix is in exactly the zones of the
first, and the segment passes through no zone. The tracker uses this to skip both
geometric queries for most fixes (a ship mid-lane, a box parked inside a terminal).

How: a grid of square cells, ``size`` degrees a side; the cell of a coordinate is
``floor((x - origin) / size)``, monotone in ``x`` under IEEE arithmetic. Every ring
edge of every zone (the whole geometry for a line or point) is sampled at most
``size / 2`` apart, and every cell meeting the square of half-side ``0.3 * size``
around a sample is *marked*: every point of every boundary lies in a marked cell. The cells of
the points of a segment lie in the box spanned by its ends' cells (monotonicity), so a
segment whose box holds no marked cell touches no boundary. A box of one cell is looked
up directly; larger ones in one lookup too: level ``l`` merges ``2**l x 2**l`` cells and
keeps the coarse cells ``c`` such that one of ``c``, ``c + (1, 0)``, ``c + (0, 1)``,
``c + (1, 1)`` holds a marked cell; a box that fits in 2 x 2 coarse cells is clear when
its lower-left coarse cell is not kept. The answer is "clear" or "don't know", never
wrong: "don't know" only costs the exact geometric queries.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
KeyArray = npt.NDArray[np.int64]

ORIGIN = -2000.0  # cell indices start here, far below any longitude or latitude
REACH = 1000.0  # coordinates beyond +-REACH (not geographic) are never called clear
MIN_SIZE, MAX_SIZE = 2e-6, 100.0  # so that every cell index within REACH fits in 31 bits
LEVELS = 24
MAX_CELLS = 2_000_000  # about the most boundary samples the grid holds; coarser cells beyond
SAMPLES_AT_ONCE = 200_000
_SHIFT = 32  # key = column << 32 | row


class BoundaryGrid:
    """Marked cells of every boundary of ``geoms`` (see the module docstring)."""

    def __init__(self, geoms: npt.NDArray[np.object_]) -> None:
        a, b = _edges(geoms)
        length = float(np.hypot(*(b - a).T).sum())
        area, perimeter = shapely.area(geoms), shapely.length(geoms)
        widths = 4.0 * area[(area > 0) & (perimeter > 0)] / perimeter[(area > 0) & (perimeter > 0)]
        # Cells about a sixth of a typical zone's width, but few enough to stay small.
        size = float(np.median(widths)) / 6 if len(widths) else 0.01
        self.size = min(max(size, 2 * length / MAX_CELLS, MIN_SIZE), MAX_SIZE)
        self.marked: KeyArray = np.empty(0, dtype=np.int64)
        self.levels: list[KeyArray] = []  # empty: nothing is ever called clear
        if len(a) and max(np.abs(a).max(), np.abs(b).max()) > REACH:
            return
        self.marked = marked = self._marked(a, b)
        for _ in range(LEVELS):
            self.levels.append(_corners(marked))
            marked = _unique(_key(_col(marked) >> 1, _row(marked) >> 1))

    def _cells(self, x: FloatArray) -> npt.NDArray[np.int64]:
        return np.floor((x - ORIGIN) / self.size).astype(np.int64)

    def _marked(self, a: FloatArray, b: FloatArray) -> KeyArray:
        """Cells within ``size / 4`` of the samples, at most ``size / 2`` apart, of every edge (a[k], b[k]).

        Every point of an edge is within ``size / 4`` of a sample. Done a bounded number of
        samples at a time, so that the index's memory peak stays small.
        """
        steps = np.maximum(1, np.ceil(np.hypot(*(b - a).T) / (self.size / 2))).astype(np.int64)
        ends = np.cumsum(steps + 1)
        parts, start = [], 0
        while start < len(a):
            before = ends[start] - steps[start] - 1
            stop = max(start + 1, int(np.searchsorted(ends, before + SAMPLES_AT_ONCE, side="right")))
            parts.append(self._sample_cells(a[start:stop], b[start:stop], steps[start:stop]))
            start = stop
        return _unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)

    def _sample_cells(self, a: FloatArray, b: FloatArray, steps: npt.NDArray[np.int64]) -> KeyArray:
        owner = np.repeat(np.arange(len(a)), steps + 1)
        t = (np.arange(len(owner)) - np.repeat(np.cumsum(steps + 1) - (steps + 1), steps + 1)) / steps[owner]
        x = a[owner, 0] + (b[owner, 0] - a[owner, 0]) * t
        y = a[owner, 1] + (b[owner, 1] - a[owner, 1]) * t
        # The cells of a square of half-side ``r`` around each sample: those of its corners,
        # at most one apart per axis (r < size / 2); r covers size / 4 with room for rounding.
        r = 0.3 * self.size
        xs = [self._cells(x + d) for d in (-r, r)]
        ys = [self._cells(y + d) for d in (-r, r)]
        return _unique(np.concatenate([_key(cx, cy) for cx in xs for cy in ys]))

    def clear(self, lon0: FloatArray, lat0: FloatArray, lon1: FloatArray, lat1: FloatArray) -> BoolArray:
        """Element-wise: does the segment (lon0, lat0)-(lon1, lat1) surely touch no boundary?"""
        n = len(lon0)
        out = np.zeros(n, dtype=bool)
        if not n or not self.levels:
            return out
        near = (np.abs(lon0) <= REACH) & (np.abs(lat0) <= REACH)
        ok = np.flatnonzero(near & (np.abs(lon1) <= REACH) & (np.abs(lat1) <= REACH))
        x0, x1 = self._cells(lon0[ok]), self._cells(lon1[ok])
        y0, y1 = self._cells(lat0[ok]), self._cells(lat1[ok])
        lo_x, hi_x = np.minimum(x0, x1), np.maximum(x0, x1)
        lo_y, hi_y = np.minimum(y0, y1), np.maximum(y0, y1)
        one = (lo_x == hi_x) & (lo_y == hi_y)  # both ends in one cell: look it up directly
        out[ok[one]] = ~_member(self.marked, _key(lo_x[one], lo_y[one]))
        todo = np.flatnonzero(~one)
        for level, keys in enumerate(self.levels):
            if not todo.size:
                break
            cx, cy = lo_x[todo] >> level, lo_y[todo] >> level
            fits = ((hi_x[todo] >> level) - cx <= 1) & ((hi_y[todo] >> level) - cy <= 1)
            now = todo[fits]
            out[ok[now]] = ~_member(keys, _key(cx[fits], cy[fits]))
            todo = todo[~fits]
        return out


def _edges(geoms: npt.NDArray[np.object_]) -> tuple[FloatArray, FloatArray]:
    """Ends (a[k], b[k]) of every edge of every ring or line of ``geoms``; a point is an edge to itself."""
    parts = shapely.get_parts(geoms)
    polygonal = shapely.get_type_id(parts) == 3
    lines = np.concatenate((shapely.get_rings(parts[polygonal]), parts[~polygonal]))
    xy, which = shapely.get_coordinates(lines, return_index=True)
    if not len(xy):
        return np.empty((0, 2)), np.empty((0, 2))
    same = np.append(which[1:] == which[:-1], False)
    single = np.bincount(which, minlength=len(lines))[which] == 1  # a point: its own edge
    a = np.concatenate((xy[:-1][same[:-1]], xy[single]))
    b = np.concatenate((xy[1:][same[:-1]], xy[single]))
    return a, b


def _key(col: npt.NDArray[np.int64], row: npt.NDArray[np.int64]) -> KeyArray:
    return np.asarray((col << _SHIFT) | row, dtype=np.int64)


def _col(keys: KeyArray) -> npt.NDArray[np.int64]:
    return keys >> _SHIFT


def _row(keys: KeyArray) -> npt.NDArray[np.int64]:
    return keys & ((1 << _SHIFT) - 1)


def _corners(marked: KeyArray) -> KeyArray:
    """Cells whose 2 x 2 block (the cell, right, up, up-right) holds a marked cell."""
    parts = []
    for start in range(0, len(marked), SAMPLES_AT_ONCE):  # a bounded part at a time: a small memory peak
        part = marked[start : start + SAMPLES_AT_ONCE]
        col, row = _col(part), _row(part)
        parts.append(_unique(np.concatenate([_key(col - dx, row - dy) for dx in (0, 1) for dy in (0, 1)])))
    return _unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)


def _member(sorted_keys: KeyArray, keys: KeyArray) -> BoolArray:
    """Element-wise: is ``keys[k]`` in ``sorted_keys``? (Sorted queries search fastest.)"""
    if not len(sorted_keys) or not len(keys):
        return np.zeros(len(keys), dtype=bool)
    order = np.argsort(keys)
    pos = np.minimum(np.searchsorted(sorted_keys, keys[order]), len(sorted_keys) - 1)
    found = np.empty(len(keys), dtype=bool)
    found[order] = sorted_keys[pos] == keys[order]
    return found


def _unique(keys: KeyArray) -> KeyArray:
    """Sorted distinct keys (a plain sort: faster here than ``np.unique``'s hashing)."""
    k = np.sort(keys)
    return k[np.append(True, k[1:] != k[:-1])] if len(k) else k
