"""The boundary grid: a move it calls clear touches no zone boundary, whatever the zones."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cargotrail.contract.records import ZoneType
from geofence.clearance import BoundaryGrid
from geofence.index import ZoneIndex
from geofence.zones import circle_zone, corridor_zone

coord = st.floats(-2.0, 2.0, allow_nan=False)
step = st.sampled_from([0.0, 1e-12, 1e-7, 1e-4, 1e-3, 0.02, 0.3, 3.0])


@st.composite
def geometries(draw: st.DrawFn) -> list[shapely.Geometry]:
    out: list[shapely.Geometry] = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["box", "polygon", "circle", "line", "point", "holed"]))
        x, y = draw(coord), draw(coord)
        size = draw(st.sampled_from([1e-3, 0.05, 0.5, 2.0]))
        if kind == "box":
            out.append(shapely.box(x, y, x + size, y + draw(st.sampled_from([1e-3, 0.05, 0.5, 2.0]))))
        elif kind == "polygon":
            pts = draw(st.lists(st.tuples(coord, coord), min_size=3, max_size=7))
            polygon = shapely.Polygon(pts)
            out.append(shapely.make_valid(polygon) if polygon.area > 0 else shapely.Point(x, y))
        elif kind == "circle":
            out.append(shapely.Point(x, y).buffer(size))
        elif kind == "line":
            out.append(shapely.LineString([(x, y), (x + size, y - size)]))
        elif kind == "point":
            out.append(shapely.Point(x, y))
        else:
            hole = shapely.box(x + 0.3, y + 0.3, x + 0.7, y + 0.7)
            out.append(shapely.box(x, y, x + 1, y + 1).difference(hole))
    return out


@settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(geoms=geometries(), starts=st.lists(st.tuples(coord, coord, step, step), min_size=1, max_size=30))
def test_a_clear_move_touches_no_boundary(geoms, starts):
    grid = BoundaryGrid(np.array(geoms, dtype=object))
    lon0 = np.array([s[0] for s in starts])
    lat0 = np.array([s[1] for s in starts])
    lon1, lat1 = lon0 + np.array([s[2] for s in starts]), lat0 - np.array([s[3] for s in starts])
    clear = grid.clear(lon0, lat0, lon1, lat1)
    ends = (np.column_stack((lon0, lat0)), np.column_stack((lon1, lat1)))
    lines = shapely.linestrings(np.stack(ends, axis=1))
    edges = shapely.union_all([shapely.boundary(g) if g.area > 0 else g for g in geoms])
    touches = shapely.intersects(lines, edges)
    assert not (clear & touches).any()
    event(f"{clear.sum() * 10 // len(clear) * 10}% clear")


def test_moves_inside_a_zone_are_clear_and_moves_across_its_edge_are_not():
    index = ZoneIndex(
        [
            circle_zone("P", "port", ZoneType.PORT, 4.0, 52.0, 60_000),
            corridor_zone("L", "lane", [(3.0, 50.0), (5.0, 50.5)], 5_000),
        ]
    )
    # Parked and creeping at the port's centre, 60 km from any edge; leaving the port; far
    # from everything.
    lon0 = np.array([4.0, 4.0, 4.0, 10.0])
    lat0 = np.array([52.0, 52.0, 52.0, 10.0])
    lon1 = np.array([4.0, 4.0001, 5.5, 10.2])
    lat1 = np.array([52.0, 52.0001, 52.0, 10.1])
    assert index.clear_moves(lon0, lat0, lon1, lat1).tolist() == [True, True, False, True]


def test_coordinates_beyond_the_grid_are_never_clear():
    grid = BoundaryGrid(np.array([shapely.box(0, 0, 1, 1)], dtype=object))
    far = np.array([5e3, 1e300, -np.inf])
    assert not grid.clear(far, far, far, far).any()
