"""A sparse uniform grid over tile bounding boxes: box-vs-tile candidates in numpy alone.

Asking an STRtree means building a shapely geometry per query (a Point or a
LineString), which costs more than the whole tree walk when a fleet sits in or
near zones all the time (sea-lane corridors). This grid answers the same
bounding-box question from the query's float bounds directly.

Each tile is registered in every cell its bounding box spans; only occupied
cells are stored (sorted int64 keys ``row * ncols + col``). A query box visits
the cells it spans, collects their tiles and keeps those whose bounding box
meets it (closed intervals). Cells come from ``floor((x - x0) / size)``, monotone
in ``x`` under IEEE arithmetic, so a box and a tile that meet always share a cell:
the answer is exactly "tiles whose bounding box meets the query box", a superset
of the tiles any exact predicate can hold for, never missing one.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


def _expand(counts: IntArray) -> tuple[IntArray, IntArray]:
    """For ``counts`` = [2, 0, 3]: owners [0, 0, 2, 2, 2] and ranks [0, 1, 0, 1, 2]."""
    owners = np.repeat(np.arange(len(counts), dtype=np.intp), counts)
    starts = np.cumsum(counts) - counts
    ranks = np.arange(len(owners), dtype=np.intp) - starts[owners]
    return owners, ranks


class TileCells:
    """Tiles with bounds ``bounds`` (n x 4: minx, miny, maxx, maxy) in a sparse grid.

    The cell side starts at the median tile extent and doubles until the
    registrations stay within ``16 * n + 4096`` (a few huge tiles cannot blow up memory).
    """

    def __init__(self, bounds: FloatArray) -> None:
        self.bounds = np.asarray(bounds, dtype=np.float64).reshape(-1, 4)
        self.minx, self.miny, self.maxx, self.maxy = (
            np.ascontiguousarray(self.bounds[:, k]) for k in range(4)
        )
        self.empty = not len(self.bounds)
        if self.empty:
            return
        self.x0, self.y0 = float(self.minx.min()), float(self.miny.min())
        extent = max(float(self.maxx.max()) - self.x0, float(self.maxy.max()) - self.y0, 1e-9)
        size = max(float(np.median(np.maximum(self.maxx - self.minx, self.maxy - self.miny))), extent / 4096)
        while True:
            self.size = size
            cx0, cy0, cx1, cy1 = self._span(self.minx, self.miny, self.maxx, self.maxy)
            counts = (cx1 - cx0 + 1) * (cy1 - cy0 + 1)
            if counts.sum() <= 16 * len(counts) + 4096:
                break
            size *= 2.0
        self.ncols = int(cx1.max()) + 1
        self.nrows = int(cy1.max()) + 1
        tiles, keys = self._cell_keys(cx0, cy0, cx1, cy1, counts)
        order = np.argsort(keys, kind="stable")  # stable: tiles stay in index order within a cell
        keys, self.entries = keys[order], tiles[order]
        first = np.ones(len(keys), dtype=bool)
        first[1:] = keys[1:] != keys[:-1]
        self.cell_keys = keys[first]
        self.cell_start = np.append(np.flatnonzero(first), len(keys)).astype(np.intp)

    def _span(
        self, minx: FloatArray, miny: FloatArray, maxx: FloatArray, maxy: FloatArray
    ) -> tuple[IntArray, IntArray, IntArray, IntArray]:
        """Cell column/row ranges of boxes (unclipped; callers clip to the grid)."""
        s = self.size
        return (
            np.floor((minx - self.x0) / s).astype(np.intp),
            np.floor((miny - self.y0) / s).astype(np.intp),
            np.floor((maxx - self.x0) / s).astype(np.intp),
            np.floor((maxy - self.y0) / s).astype(np.intp),
        )

    def _cell_keys(
        self, cx0: IntArray, cy0: IntArray, cx1: IntArray, cy1: IntArray, counts: IntArray
    ) -> tuple[IntArray, IntArray]:
        """(owner box, cell key) for every cell each box spans."""
        owners, ranks = _expand(counts)
        width = (cx1 - cx0 + 1)[owners]
        cols = cx0[owners] + ranks % width
        rows = cy0[owners] + ranks // width
        return owners, rows.astype(np.int64) * self.ncols + cols

    def query(
        self, minx: FloatArray, miny: FloatArray, maxx: FloatArray, maxy: FloatArray, max_cells: int = 64
    ) -> tuple[IntArray, IntArray, IntArray]:
        """(box indices, tile indices) of every box/tile pair whose bounds meet, and the boxes too
        big to answer here (spanning more than ``max_cells`` cells: ask an STRtree for those).

        Pairs are grouped by box in ascending order. A box spanning several cells may get
        a tile more than once (callers dedupe); a box within one cell (a point) gets each
        tile once, in ascending order. Boxes with non-finite bounds meet nothing.
        """
        n = len(minx)
        none = np.empty(0, dtype=np.intp)
        if self.empty or not n:
            return none, none, none
        ok = np.isfinite(minx) & np.isfinite(miny) & np.isfinite(maxx) & np.isfinite(maxy)
        idx = np.flatnonzero(ok)
        bx0, by0, bx1, by1 = minx[idx], miny[idx], maxx[idx], maxy[idx]
        cx0, cy0, cx1, cy1 = self._span(bx0, by0, bx1, by1)
        # Clipping to the occupied grid only drops cells that hold no tile; a box wholly
        # outside it gets an empty (zero-width) span.
        cx0, cy0 = np.maximum(cx0, 0), np.maximum(cy0, 0)
        cx1, cy1 = np.minimum(cx1, self.ncols - 1), np.minimum(cy1, self.nrows - 1)
        counts = np.maximum(cx1 - cx0 + 1, 0) * np.maximum(cy1 - cy0 + 1, 0)
        big = counts > max_cells
        if big.any():
            counts = np.where(big, 0, counts)
        owners, keys = self._cell_keys(cx0, cy0, cx1, cy1, counts)
        pos = np.searchsorted(self.cell_keys, keys)
        pos_c = np.minimum(pos, len(self.cell_keys) - 1)
        found = self.cell_keys[pos_c] == keys
        owners, pos = owners[found], pos_c[found]
        start = self.cell_start[pos]
        sub, ranks = _expand(self.cell_start[pos + 1] - start)
        boxes, tiles = owners[sub], self.entries[start[sub] + ranks]
        meet = (
            (self.minx[tiles] <= bx1[boxes])
            & (self.maxx[tiles] >= bx0[boxes])
            & (self.miny[tiles] <= by1[boxes])
            & (self.maxy[tiles] >= by0[boxes])
        )
        return idx[boxes[meet]], tiles[meet], idx[np.flatnonzero(big)]
