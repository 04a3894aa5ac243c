"""A spatial index over zones answering vectorised point and segment queries.

The zone geometries are *prepared* once. Each query first finds candidate
(query, zone) pairs by bounding boxes only, then runs one vectorised exact
predicate on the candidate pairs against the prepared zones.

Candidates are *tiles*, not whole zones: a zone filling less than half of its
bounding box (a diagonal route corridor, a ring) is covered by the cells of a
grid over that box which touch it, so a fix near a long corridor is no longer a
candidate for it. Tiles only narrow the candidates; the exact test always runs
against the whole zone, so tiling never changes a result. The tile bounding
boxes sit in a sparse cell grid (``TileCells``) answered in numpy from the
query's float bounds, so no Point or LineString is built just to find
candidates (building them cost more than the rest of a point query on a fleet
that is always near some zone). Segments too long for the cell grid ask an
STRtree of the tiles instead. LineStrings are built only for the exact segment test.

Semantics are ``intersects`` throughout: a point on a zone's boundary is inside.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely

from cargotrail.errors import ZoneError
from geofence.cells import TileCells
from geofence.clearance import BoundaryGrid
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
        self._cells = TileCells(shapely.bounds(all_tiles))
        self._clearance = BoundaryGrid(self._geoms)

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
        # A point spans one cell, whose tiles come in index order: zones per point are
        # non-decreasing, so duplicates (a point on a boundary between two tiles of one
        # zone) are adjacent.
        pts, tiles, _ = self._cells.query(lons, lats, lons, lats, max_cells=1)
        keys = pts * len(self.zones) + self._tile_zone[tiles]
        first = np.ones(len(keys), dtype=bool)
        first[1:] = keys[1:] != keys[:-1]
        pts, zs = pts[first], self._tile_zone[tiles[first]]
        hit = shapely.intersects_xy(self._geoms[zs], lons[pts], lats[pts])
        return pts[hit], zs[hit]

    def segment_candidates(
        self, lon0: FloatArray, lat0: FloatArray, lon1: FloatArray, lat1: FloatArray
    ) -> tuple[IntArray, IntArray]:
        """(segment, zone) pairs, sorted, where a tile's bounding box meets the segment's.

        A superset of the zones each segment touches; no geometry is built except for
        segments too long for the cell grid.
        """
        lon0, lat0, lon1, lat1 = (np.asarray(a, dtype=np.float64) for a in (lon0, lat0, lon1, lat1))
        if not len(self.zones) or not lon0.size:
            return _empty_pairs()
        segs, tiles, big = self._cells.query(
            np.minimum(lon0, lon1), np.minimum(lat0, lat1), np.maximum(lon0, lon1), np.maximum(lat0, lat1)
        )
        if big.size:
            lines = _lines(lon0[big], lat0[big], lon1[big], lat1[big])
            more, more_tiles = self._tree.query(lines)
            segs, tiles = np.concatenate((segs, big[more])), np.concatenate((tiles, more_tiles))
        nz = len(self.zones)
        keys = np.sort(segs * nz + self._tile_zone[tiles])
        keys = keys[np.append(True, keys[1:] != keys[:-1])] if keys.size else keys
        return keys // nz, keys % nz

    def crossed(
        self, lon0: FloatArray, lat0: FloatArray, lon1: FloatArray, lat1: FloatArray
    ) -> tuple[IntArray, IntArray]:
        """(segment_indices, zone_indices) of every zone the segment (lon0, lat0)-(lon1, lat1) touches.

        Pairs are sorted by segment, then zone. A zero-length segment behaves as its point.
        """
        lon0, lat0, lon1, lat1 = (np.asarray(a, dtype=np.float64) for a in (lon0, lat0, lon1, lat1))
        segs, zs = self.segment_candidates(lon0, lat0, lon1, lat1)
        hit = shapely.intersects(self._geoms[zs], _lines(lon0[segs], lat0[segs], lon1[segs], lat1[segs]))
        return segs[hit], zs[hit]

    def passed_through(
        self, lon0: FloatArray, lat0: FloatArray, lon1: FloatArray, lat1: FloatArray
    ) -> tuple[IntArray, IntArray]:
        """Like ``crossed``, but only zones that contain neither end of the segment."""
        lon0, lat0, lon1, lat1 = (np.asarray(a, dtype=np.float64) for a in (lon0, lat0, lon1, lat1))
        segs, zs = self.segment_candidates(lon0, lat0, lon1, lat1)
        hit = self.passes_through(zs, lon0[segs], lat0[segs], lon1[segs], lat1[segs])
        return segs[hit], zs[hit]

    def passes_through(
        self,
        zone_indices: IntArray,
        lon0: FloatArray,
        lat0: FloatArray,
        lon1: FloatArray,
        lat1: FloatArray,
        outside: BoolArray | None = None,
    ) -> BoolArray:
        """Element-wise: does segment k touch zone ``zone_indices[k]`` while it contains neither end?

        The cheap point tests run first, so LineStrings are built only for the pairs left.
        ``outside`` marks pairs already known (from this index's point queries) to hold
        neither end: they skip the point tests.
        """
        geoms = self._geoms[zone_indices]
        if outside is None or not outside.all():
            test = np.arange(len(geoms)) if outside is None else np.flatnonzero(~outside)
            g, x0, y0, x1, y1 = geoms[test], lon0[test], lat0[test], lon1[test], lat1[test]
            out_test = ~shapely.intersects_xy(g, x1, y1) & ~shapely.intersects_xy(g, x0, y0)
            left_mask = np.ones(len(geoms), dtype=bool) if outside is None else outside.copy()
            left_mask[test] = out_test
            left = np.flatnonzero(left_mask)
        else:
            left = np.arange(len(geoms))
        out = np.zeros(len(geoms), dtype=bool)
        if left.size:
            lines = _lines(lon0[left], lat0[left], lon1[left], lat1[left])
            out[left] = shapely.intersects(geoms[left], lines)
        return out

    def clear_moves(
        self, lon0: FloatArray, lat0: FloatArray, lon1: FloatArray, lat1: FloatArray
    ) -> BoolArray:
        """Element-wise: surely touches the segment (lon0, lat0)-(lon1, lat1) no zone's boundary?

        Then both ends are in the same zones and the segment passes through none. False
        means "not sure" (see ``geofence.clearance``): it is never True wrongly.
        """
        return self._clearance.clear(*(np.asarray(a, dtype=np.float64) for a in (lon0, lat0, lon1, lat1)))

    def covers(self, zone_indices: IntArray, lons: FloatArray, lats: FloatArray) -> BoolArray:
        """Element-wise: does zone ``zone_indices[k]`` cover (``lons[k]``, ``lats[k]``)?"""
        hit: BoolArray = shapely.intersects_xy(self._geoms[zone_indices], lons, lats)
        return hit


def _lines(lon0: FloatArray, lat0: FloatArray, lon1: FloatArray, lat1: FloatArray) -> npt.NDArray[np.object_]:
    """Two-vertex LineStrings (lon0, lat0)-(lon1, lat1)."""
    xy0, xy1 = np.column_stack((lon0, lat0)), np.column_stack((lon1, lat1))
    lines: npt.NDArray[np.object_] = shapely.linestrings(np.stack((xy0, xy1), axis=1)).reshape(-1)
    return lines


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
