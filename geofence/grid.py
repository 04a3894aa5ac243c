"""A coarse occupancy grid: which bounding boxes may touch any zone at all.

Most fixes of a fleet are far from every zone (at sea, on motorways). Building
shapely geometries for them just to learn that the tree has nothing near costs
more than the rest of their processing, so the index first asks this grid, in
pure numpy, whether a box can meet any zone tile.

The answer is conservative: ``False`` is exact (no tile's bounding box meets the
box), ``True`` only means "maybe". Cell indices come from ``floor((x - x0) / size)``,
which is monotone in ``x`` under IEEE arithmetic, so two intersecting intervals
always share a cell.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class OccupancyGrid:
    """Summed-area table over a grid of at most ``cells`` x ``cells`` covering ``bounds`` (n x 4)."""

    def __init__(self, bounds: FloatArray, cells: int = 256) -> None:
        bounds = np.asarray(bounds, dtype=np.float64).reshape(-1, 4)
        self.empty = not len(bounds)
        if self.empty:
            return
        self.x0, self.y0 = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        # A non-zero cell size even for degenerate extents (a single tiny zone).
        self.dx = max(float(bounds[:, 2].max()) - self.x0, 1e-9) / cells
        self.dy = max(float(bounds[:, 3].max()) - self.y0, 1e-9) / cells
        self.nx = self.ny = cells
        ix0, iy0, ix1, iy1 = self._cells(bounds[:, 0], bounds[:, 1], bounds[:, 2], bounds[:, 3])
        # 2-D difference array: +1 over each box's cell rectangle, then prefix sums give coverage.
        diff = np.zeros((self.ny + 1, self.nx + 1), dtype=np.int64)
        np.add.at(diff, (iy0, ix0), 1)
        np.add.at(diff, (iy0, ix1 + 1), -1)
        np.add.at(diff, (iy1 + 1, ix0), -1)
        np.add.at(diff, (iy1 + 1, ix1 + 1), 1)
        occupied = (diff.cumsum(axis=0).cumsum(axis=1)[: self.ny, : self.nx] > 0).astype(np.int64)
        self._sat = np.zeros((self.ny + 1, self.nx + 1), dtype=np.int64)
        self._sat[1:, 1:] = occupied.cumsum(axis=0).cumsum(axis=1)

    def _cells(
        self, minx: FloatArray, miny: FloatArray, maxx: FloatArray, maxy: FloatArray
    ) -> tuple[npt.NDArray[np.intp], ...]:
        # Clipping to the grid only widens the answer (boxes outside it map onto its edge cells).
        def cx(x: FloatArray) -> npt.NDArray[np.intp]:
            return np.clip(np.floor((x - self.x0) / self.dx), 0, self.nx - 1).astype(np.intp)

        def cy(y: FloatArray) -> npt.NDArray[np.intp]:
            return np.clip(np.floor((y - self.y0) / self.dy), 0, self.ny - 1).astype(np.intp)

        return cx(minx), cy(miny), cx(maxx), cy(maxy)

    def maybe(self, minx: FloatArray, miny: FloatArray, maxx: FloatArray, maxy: FloatArray) -> BoolArray:
        """Per box: may it meet a zone tile? (False is certain.)"""
        if self.empty:
            return np.zeros(np.shape(minx), dtype=bool)
        finite = np.isfinite(minx) & np.isfinite(miny) & np.isfinite(maxx) & np.isfinite(maxy)
        if not finite.all():  # non-finite boxes meet nothing; keep them out of the integer casts
            minx, miny, maxx, maxy = (np.where(finite, a, 0.0) for a in (minx, miny, maxx, maxy))
        ix0, iy0, ix1, iy1 = self._cells(minx, miny, maxx, maxy)
        sat = self._sat
        count = sat[iy1 + 1, ix1 + 1] - sat[iy0, ix1 + 1] - sat[iy1 + 1, ix0] + sat[iy0, ix0]
        result: BoolArray = (count > 0) & finite
        return result
