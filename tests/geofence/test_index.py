"""ZoneIndex: vectorised point and segment queries agree with shapely one by one."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point

from cargotrail.contract.records import ZoneType
from cargotrail.errors import ZoneError
from geofence.cells import TileCells
from geofence.index import ZoneIndex
from geofence.zones import Zone, circle_zone, corridor_zone


def box_zone(zid: str, *bounds: float, zone_type: ZoneType = ZoneType.TERMINAL) -> Zone:
    return Zone(zid, zid, zone_type, shapely.box(*bounds))


@pytest.fixture
def index() -> ZoneIndex:
    zones = [
        box_zone("a", 0, 0, 1, 1),
        box_zone("b", 0.5, 0, 2, 1, zone_type=ZoneType.CUSTOMS),
        box_zone("c", 3, 0, 4, 1),
    ]
    return ZoneIndex(zones)


def test_attributes(index):
    assert [z.zone_id for z in index.zones] == ["a", "b", "c"]
    assert index.by_id["b"].zone_type is ZoneType.CUSTOMS
    assert list(index.zone_types) == [ZoneType.TERMINAL, ZoneType.CUSTOMS, ZoneType.TERMINAL]
    assert len(index) == 3


def test_duplicate_ids_are_refused():
    with pytest.raises(ZoneError, match="'a'"):
        ZoneIndex([box_zone("a", 0, 0, 1, 1), box_zone("a", 2, 2, 3, 3)])


def test_containing_pairs_sorted_with_boundary_inside(index):
    pts, zones = index.containing(np.array([0.75, 5.0, 1.0, 0.0, 3.5]), np.array([0.5, 5.0, 1.0, 0.0, 0.5]))
    # (1, 1) is on a's corner and inside b; (0, 0) is a's corner.
    assert list(zip(pts.tolist(), zones.tolist(), strict=True)) == [
        (0, 0),
        (0, 1),
        (2, 0),
        (2, 1),
        (3, 0),
        (4, 2),
    ]


def test_empty_inputs_and_empty_index(index):
    empty = np.array([], dtype=np.float64)
    assert [a.size for a in index.containing(empty, empty)] == [0, 0]
    assert [a.size for a in ZoneIndex([]).containing(np.array([0.5]), np.array([0.5]))] == [0, 0]
    assert [a.size for a in ZoneIndex([]).crossed(*[np.array([0.5])] * 4)] == [0, 0]


def test_crossed_segments(index):
    lon0, lat0 = np.array([2.5, 2.5, 0.2, 3.5]), np.array([0.5, 0.5, 0.5, 0.5])
    lon1, lat1 = np.array([4.5, 2.6, 0.2, 3.5]), np.array([0.5, 0.5, 0.5, 0.5])
    segs, zones = index.crossed(lon0, lat0, lon1, lat1)
    # 0 passes through c; 1 touches nothing; 2 and 3 are zero-length segments inside a and c.
    assert list(zip(segs.tolist(), zones.tolist(), strict=True)) == [(0, 2), (2, 0), (3, 2)]


def test_covers_is_elementwise(index):
    covered = index.covers(np.array([0, 0, 2]), np.array([1.0, 1.5, 3.5]), np.array([1.0, 0.5, 0.5]))
    assert covered.tolist() == [True, False, True]


def test_long_thin_zones_are_tiled_without_changing_results():
    corridor = corridor_zone("r", "r", [(0.0, 0.0), (3.0, 3.0)], 2_000)
    index = ZoneIndex([corridor])
    assert len(index._tile_zone) > 1  # many small boxes instead of one 3x3 degree box
    lons, lats = np.linspace(-0.5, 3.5, 401), np.linspace(-0.4, 3.6, 401)
    lons, lats = np.meshgrid(lons, lats)
    lons, lats = lons.ravel(), lats.ravel()
    expected = shapely.intersects_xy(corridor.geometry, lons, lats)
    pts, zones = index.containing(lons, lats)
    assert pts.tolist() == np.flatnonzero(expected).tolist() and set(zones.tolist()) <= {0}


def test_random_queries_match_shapely_one_by_one():
    rng = np.random.default_rng(7)
    zones = [
        circle_zone(f"c{k}", "c", ZoneType.PORT, *rng.uniform(0, 1, 2), rng.uniform(1e3, 2e4))
        for k in range(20)
    ]
    zones += [
        corridor_zone(f"r{k}", "r", [tuple(p) for p in rng.uniform(0, 1, (3, 2))], 3e3) for k in range(10)
    ]
    index = ZoneIndex(zones)
    lons, lats = rng.uniform(-0.1, 1.1, 500), rng.uniform(-0.1, 1.1, 500)
    expected = [
        (i, k)
        for i in range(500)
        for k, z in enumerate(zones)
        if z.geometry.intersects(Point(lons[i], lats[i]))
    ]
    pts, zs = index.containing(lons, lats)
    assert list(zip(pts.tolist(), zs.tolist(), strict=True)) == expected
    lon1, lat1 = lons + rng.normal(0, 0.1, 500), lats + rng.normal(0, 0.1, 500)
    expected = [
        (i, k)
        for i in range(500)
        for k, z in enumerate(zones)
        if z.geometry.intersects(LineString([(lons[i], lats[i]), (lon1[i], lat1[i])]))
    ]
    segs, zs = index.crossed(lons, lats, lon1, lat1)
    assert list(zip(segs.tolist(), zs.tolist(), strict=True)) == expected


def test_passed_through_excludes_zones_holding_an_end(index):
    lon0, lat0 = np.array([2.5, 3.5, 0.2]), np.array([0.5, 0.5, 0.5])
    lon1, lat1 = np.array([4.5, 4.5, 1.5]), np.array([0.5, 0.5, 0.5])
    segs, zones = index.passed_through(lon0, lat0, lon1, lat1)
    assert list(zip(segs.tolist(), zones.tolist(), strict=True)) == [(0, 2)]


def test_tile_cells_find_exactly_the_boxes_that_meet():
    rng = np.random.default_rng(3)
    lo = np.round(rng.uniform(0, 10, (300, 2)), 1)  # shared edges: boundary cases
    tiles = np.column_stack((lo, lo + np.round(rng.uniform(0, 0.5, (300, 2)), 1)))
    tiles[:5, 2:] += 6.0  # a few big tiles span many cells
    cells = TileCells(tiles)
    q_lo = np.round(rng.uniform(-1, 11, (3000, 2)), 1)
    q = np.column_stack((q_lo, q_lo + np.round(rng.uniform(0, 0.4, (3000, 2)), 1)))
    q[:1000, 2:] = q[:1000, :2]  # points
    q[1000] = [np.nan, 1.0, 1.0, 1.0]
    q[1001:1100, 2:] += 5.0  # long segments: too many cells, left to the caller
    boxes, found, big = cells.query(q[:, 0], q[:, 1], q[:, 2], q[:, 3], max_cells=4)
    meets = (
        (q[:, None, 0] <= tiles[None, :, 2])
        & (tiles[None, :, 0] <= q[:, None, 2])
        & (q[:, None, 1] <= tiles[None, :, 3])
        & (tiles[None, :, 1] <= q[:, None, 3])
    )
    meets[big] = False
    assert big.size and 1000 not in big.tolist()
    pairs = list(zip(boxes.tolist(), found.tolist(), strict=True))
    assert sorted(set(pairs)) == list(zip(*(a.tolist() for a in np.nonzero(meets)), strict=True))
    assert len(set(pairs[: int(np.searchsorted(boxes, 1000))])) == np.searchsorted(
        boxes, 1000
    )  # points: once
    assert (np.diff(boxes) >= 0).all()
    assert [a.size for a in TileCells(np.empty((0, 4))).query(*q[:3].T)] == [0, 0, 0]
