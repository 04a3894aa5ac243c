"""A spatial index over zones answering vectorised point and segment queries.

The zone geometries are *prepared* once. Each query is one ``STRtree.query``
over the whole array (bounding boxes only), followed by one vectorised exact
predicate on the candidate pairs against the prepared zones. Asking the tree for
the predicate directly would prepare the query geometry (a point or a two-vertex
segment, where preparation buys nothing) and leave the zone unprepared; the
two-step form measured ~1.6x faster for points and ~2x for segments.

The tree holds *tiles*, not whole zones: a zone filling less than half of its
bounding box (a diagonal route corridor, a ring) is covered by the cells of a
grid over that box which touch it, so a fix near a long corridor is no longer a
candidate for it. Tiles only narrow the candidates; the exact test always runs
against the whole zone, so tiling never changes a result. Before any geometry
is built, an ``OccupancyGrid`` (numpy only) drops the fixes and segments whose
bounding box meets no tile at all (fixes at sea, far from every zone).

Semantics are ``intersects`` throughout: a point on a zone's boundary is inside.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely

from cargotrail.errors import ZoneError
from geofence.grid import OccupancyGrid
from geofence.zones import Zone

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class ZoneIndex:
    """Immutable index over ``zones``; zone *indices* are positions in ``zones``.

    ``by_id`` maps zone id to zone, ``zone_types`` is an object array of each
    zone's ``ZoneType`` and ``dwell_limits`` a float array (NaN when no limit).
    """

    def __init__(self, zones: Sequence[Zone]) -> None:
        self.zones: list[Zone] = list(zones)
        self.by_id: dict[str, Zone] = {}
        for z in self.zones:
            if z.zone_id in self.by_id:
                raise ZoneError(f"zone {z.zone_id!r}: duplicate id in index")
            self.by_id[z.zone_id] = z
        self.position: dict[str, int] = {z.zone_id: i for i, z in enumerate(self.zones)}
        self.zone_types = np.array([z.zone_type for z in self.zones], dtype=object)
        self.dwell_limits: FloatArray = np.array(
            [np.nan if z.dwell_limit_s is None else z.dwell_limit_s for z in self.zones], dtype=np.float64
        )
        self._geoms = np.array([z.geometry for z in self.zones], dtype=object)
        shapely.prepare(self._geoms)
        tiles = [_tiles(g) for g in self._geoms]
        self._tile_zone: IntArray = np.repeat(np.arange(len(tiles), dtype=np.intp), [len(t) for t in tiles])
        all_tiles = np.concatenate(tiles) if tiles else np.empty(0, dtype=object)
        self._tree = shapely.STRtree(all_tiles)
        self._grid = OccupancyGrid(shapely.bounds(all_tiles))

    def __len__(self) -> int:
        return len(self.zones)

    def containing(self, lons: FloatArray, lats: FloatArray) -> tuple[IntArray, IntArray]:
        """(point_indices, zone_indices) of every pair where the zone covers the point.

        Pairs are sorted by point index, then zone index. Non-finite coordinates match nothing.
        """
        lons = np.asarray(lons, dtype=np.float64)
        lats = np.asarray(lats, dtype=np.float64)
        if not len(self.zones) or not lons.size:
            return _empty_pairs()
        near = np.flatnonzero(self._grid.maybe(lons, lats, lons, lats))
        pts, zs = self._candidates(shapely.points(lons[near], lats[near]))
        pts = near[pts]
        hit = shapely.intersects_xy(self._geoms[zs], lons[pts], lats[pts])
        return pts[hit], zs[hit]

    def crossed(
        self, lon0: FloatArray, lat0: FloatArray, lon1: FloatArray, lat1: FloatArray
    ) -> tuple[IntArray, IntArray]:
        """(segment_indices, zone_indices) of every zone the segment (lon0, lat0)-(lon1, lat1) touches.

        Pairs are sorted by segment, then zone. A zero-length segment behaves as its point.
        """
        near, lines = self._segments(lon0, lat0, lon1, lat1)
        segs, zs = self._candidates(lines)
        hit = shapely.intersects(self._geoms[zs], lines[segs])
        return near[segs[hit]], zs[hit]

    def passed_through(
        self, lon0: FloatArray, lat0: FloatArray, lon1: FloatArray, lat1: FloatArray
    ) -> tuple[IntArray, IntArray]:
        """Like ``crossed``, but only zones that contain neither end of the segment.

        The cheap point tests run first, so the costlier segment test only sees zones
        the segment would pass through.
        """
        lon0, lat0, lon1, lat1 = (np.asarray(a, dtype=np.float64) for a in (lon0, lat0, lon1, lat1))
        if not len(self.zones) or not lon0.size:
            return _empty_pairs()
        lines = shapely.linestrings(
            np.stack((np.column_stack((lon0, lat0)), np.column_stack((lon1, lat1))), axis=1)
        )
        segs, zs = self._candidates(lines)
        for lons, lats in ((lon1, lat1), (lon0, lat0)):
            out = ~shapely.intersects_xy(self._geoms[zs], lons[segs], lats[segs])
            segs, zs = segs[out], zs[out]
        hit = shapely.intersects(self._geoms[zs], lines[segs])
        return segs[hit], zs[hit]

    def _segments(
        self, lon0: FloatArray, lat0: FloatArray, lon1: FloatArray, lat1: FloatArray
    ) -> tuple[IntArray, npt.NDArray[np.object_]]:
        """Indices of the segments that may meet a zone, and their LineStrings."""
        lon0, lat0, lon1, lat1 = (np.asarray(a, dtype=np.float64) for a in (lon0, lat0, lon1, lat1))
        near = np.flatnonzero(
            self._grid.maybe(
                np.minimum(lon0, lon1), np.minimum(lat0, lat1), np.maximum(lon0, lon1), np.maximum(lat0, lat1)
            )
        )
        xy0 = np.column_stack((lon0[near], lat0[near]))
        xy1 = np.column_stack((lon1[near], lat1[near]))
        return near, shapely.linestrings(np.stack((xy0, xy1), axis=1)).reshape(-1)

    def covers(self, zone_indices: IntArray, lons: FloatArray, lats: FloatArray) -> BoolArray:
        """Element-wise: does zone ``zone_indices[k]`` cover (``lons[k]``, ``lats[k]``)?"""
        hit: BoolArray = shapely.intersects_xy(self._geoms[zone_indices], lons, lats)
        return hit

    def _candidates(self, geoms: npt.NDArray[np.object_]) -> tuple[IntArray, IntArray]:
        """Distinct (input, zone) pairs whose bounding boxes meet, sorted by input then zone."""
        inputs, tiles = self._tree.query(geoms)
        nz = len(self.zones)
        keys = np.unique(inputs * nz + self._tile_zone[tiles])
        return keys // nz, keys % nz


def _empty_pairs() -> tuple[IntArray, IntArray]:
    return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)


def _tiles(geom: shapely.Geometry, max_side: int = 64) -> npt.NDArray[np.object_]:
    """Boxes covering ``geom``: its bounding box, or the touching cells of a grid over it.

    Cells are about twice the zone's typical width (4 * area / perimeter) wide; the
    cells touching the zone cover it exactly, since the grid covers the bounding box.
    """
    minx, miny, maxx, maxy = geom.bounds
    w, h = maxx - minx, maxy - miny
    if geom.area >= 0.5 * w * h or geom.length == 0:
        return np.array([shapely.box(minx, miny, maxx, maxy)], dtype=object)
    side = 4.0 * geom.area / geom.length
    nx, ny = (min(max_side, max(1, math.ceil(d / side))) for d in (w, h))
    xs, ys = np.linspace(minx, maxx, nx + 1), np.linspace(miny, maxy, ny + 1)
    cells = shapely.box(xs[:-1, None], ys[None, :-1], xs[1:, None], ys[None, 1:]).ravel()
    touching: npt.NDArray[np.object_] = cells[shapely.intersects(geom, cells)]
    return touching
