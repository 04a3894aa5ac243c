"""Zones from and to GeoJSON: every feature type, every ZoneError case."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from cargotrail.contract.records import ZoneType
from cargotrail.errors import ZoneError
from geofence.zones import (
    EARTH_RADIUS_M,
    circle_zone,
    corridor_zone,
    load_zones_file,
    zones_from_geojson,
    zones_to_geojson,
)

SQUARE = [[[4.0, 51.0], [5.0, 51.0], [5.0, 52.0], [4.0, 52.0], [4.0, 51.0]]]
M_PER_DEG = math.pi * EARTH_RADIUS_M / 180


def feature(props: dict[str, Any], geometry: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def collection(*features: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def poly(zid: str = "z1", **props: Any) -> dict[str, Any]:
    return feature({"id": zid, "type": "terminal", **props}, {"type": "Polygon", "coordinates": SQUARE})


def test_polygon_feature_keeps_all_fields():
    [z] = zones_from_geojson(collection(poly(name="Maasvlakte", dwell_limit_s=3600, locode="NLRTM", berth=7)))
    got = (z.zone_id, z.name, z.zone_type, z.dwell_limit_s, z.locode)
    assert got == ("z1", "Maasvlakte", ZoneType.TERMINAL, 3600.0, "NLRTM")
    assert z.properties == {"berth": 7}
    assert z.geometry.equals(shapely.box(4, 51, 5, 52))


def test_name_defaults_to_id():
    assert zones_from_geojson(collection(poly("gate-3")))[0].name == "gate-3"


def test_multipolygon_feature():
    geometry = {"type": "MultiPolygon", "coordinates": [SQUARE, [[[6, 51], [7, 51], [7, 52], [6, 51]]]]}
    [z] = zones_from_geojson(collection(feature({"id": "m", "type": "customs"}, geometry)))
    assert isinstance(z.geometry, MultiPolygon) and len(z.geometry.geoms) == 2


def test_invalid_polygon_is_made_valid():
    bowtie = [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]
    [z] = zones_from_geojson(
        collection(feature({"id": "b", "type": "depot"}, {"type": "Polygon", "coordinates": bowtie}))
    )
    assert z.geometry.is_valid and z.geometry.area == pytest.approx(0.5)
    assert z.geometry.intersects(Point(0.2, 0.5)) and not z.geometry.intersects(Point(0.5, 0.2))


def test_point_with_radius_is_a_circle_in_metres():
    [z] = zones_from_geojson(
        collection(
            feature(
                {"id": "c", "type": "port", "radius_m": 5000}, {"type": "Point", "coordinates": [4.48, 51.9]}
            )
        )
    )
    assert isinstance(z.geometry, Polygon) and z.properties == {"radius_m": 5000}
    minx, miny, maxx, maxy = z.geometry.bounds
    assert (maxy - miny) / 2 * M_PER_DEG == pytest.approx(5000, rel=1e-3)
    # Longitude degrees are shorter by cos(lat): the circle is wider in degrees.
    assert (maxx - minx) / 2 * M_PER_DEG * math.cos(math.radians(51.9)) == pytest.approx(5000, rel=1e-3)


def test_linestring_with_width_is_a_corridor():
    line = {"type": "LineString", "coordinates": [[0.0, 0.0], [1.0, 0.0]]}
    [z] = zones_from_geojson(collection(feature({"id": "r", "type": "corridor", "width_m": 2000}, line)))
    assert z.zone_type is ZoneType.CORRIDOR and z.properties == {"width_m": 2000}
    half_width_deg = 1000 / M_PER_DEG
    assert z.geometry.intersects(Point(0.5, half_width_deg * 0.99))
    assert not z.geometry.intersects(Point(0.5, half_width_deg * 1.01))


def test_helpers_match_geojson_features():
    circle = circle_zone("c", "Rotterdam", ZoneType.PORT, 4.48, 51.9, 5000, dwell_limit_s=60, locode="NLRTM")
    assert circle.zone_type is ZoneType.PORT and circle.dwell_limit_s == 60 and circle.locode == "NLRTM"
    corridor = corridor_zone("r", "Rhine", [(4.5, 51.9), (6.0, 51.8)], 3000, properties={"leg": 1})
    assert corridor.zone_type is ZoneType.CORRIDOR and corridor.properties == {"leg": 1, "width_m": 3000}
    assert zones_from_geojson(zones_to_geojson([circle, corridor])) == [circle, corridor]


def test_round_trip_through_json_text(tmp_path):
    zones = zones_from_geojson(collection(poly("a", dwell_limit_s=60, extra="x"), poly("b", locode="NLRTM")))
    zones.append(circle_zone("c", "C", ZoneType.RESTRICTED, 4.4, 51.95, 800))
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(zones_to_geojson(zones)), encoding="utf-8-sig")
    assert load_zones_file(path) == zones
    assert load_zones_file(str(path))[2].properties == {"radius_m": 800}


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (
            [feature({"type": "port"}, {"type": "Polygon", "coordinates": SQUARE})],
            "feature 0 (id None): field 'id'",
        ),
        ([feature({"id": "", "type": "port"}, {"type": "Polygon", "coordinates": SQUARE})], "field 'id'"),
        ([poly("a"), poly("a")], "feature 1 (id 'a'): field 'id': duplicate"),
        ([poly("a", type="harbour")], "feature 0 (id 'a'): field 'type': must be one of"),
        ([feature({"id": "a"}, {"type": "Polygon", "coordinates": SQUARE})], "field 'type'"),
        ([poly("a", name=5)], "field 'name'"),
        ([poly("a", locode=1)], "field 'locode'"),
        ([poly("a", dwell_limit_s=-1)], "field 'dwell_limit_s'"),
        ([poly("a", dwell_limit_s="1h")], "field 'dwell_limit_s'"),
        ([poly("a", dwell_limit_s=math.inf)], "field 'dwell_limit_s'"),
        (
            [feature({"id": "p", "type": "port"}, {"type": "Point", "coordinates": [4, 51]})],
            "field 'radius_m': required",
        ),
        (
            [feature({"id": "p", "type": "port", "radius_m": 0}, {"type": "Point", "coordinates": [4, 51]})],
            "radius_m",
        ),
        (
            [
                feature(
                    {"id": "p", "type": "port", "radius_m": True}, {"type": "Point", "coordinates": [4, 51]}
                )
            ],
            "radius_m",
        ),
        (
            [
                feature(
                    {"id": "l", "type": "corridor"}, {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
                )
            ],
            "feature 0 (id 'l'): field 'width_m': required",
        ),
        (
            [
                feature(
                    {"id": "l", "type": "corridor", "width_m": 10},
                    {"type": "LineString", "coordinates": [[1, 1], [1, 1]]},
                )
            ],
            "two distinct points",
        ),
        ([feature({"id": "g", "type": "port"}, None)], "field 'geometry': required"),
        (
            [feature({"id": "g", "type": "port"}, {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]})],
            "bad coordinates",
        ),
        ([feature({"id": "g", "type": "port"}, {"type": "Polygon", "coordinates": "x"})], "bad coordinates"),
        ([feature({"id": "g", "type": "port"}, {"type": "Blob", "coordinates": [0, 0]})], "bad coordinates"),
        (
            [feature({"id": "g", "type": "port", "radius_m": 5}, {"type": "Point", "coordinates": [200, 0]})],
            "outside lon",
        ),
        (
            [
                feature(
                    {"id": "g", "type": "port", "radius_m": 5},
                    {"type": "Point", "coordinates": [0, math.nan]},
                )
            ],
            "non-finite",
        ),
        (
            [
                feature(
                    {"id": "g", "type": "port", "radius_m": 50_000},
                    {"type": "Point", "coordinates": [179.9, 0]},
                )
            ],
            "antimeridian",
        ),
        (
            [feature({"id": "g", "type": "port"}, {"type": "MultiPoint", "coordinates": [[0, 0], [1, 1]]})],
            "MultiPoint is not a zone",
        ),
        (
            [
                feature(
                    {"id": "g", "type": "port"},
                    {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]},
                )
            ],
            "empty polygon",
        ),
        (["not a feature"], "feature 0: field 'properties'"),
        ([{"type": "Feature", "geometry": None}], "feature 0: field 'properties'"),
    ],
)
def test_bad_features_raise_zone_error_naming_index_id_and_field(features, message):
    with pytest.raises(ZoneError, match=message.replace("(", r"\(").replace(")", r"\)")):
        zones_from_geojson(collection(*features))


@pytest.mark.parametrize("doc", [{"type": "Feature"}, [], {"type": "FeatureCollection", "features": {}}])
def test_bad_documents_raise_zone_error(doc):
    with pytest.raises(ZoneError, match="zones document"):
        zones_from_geojson(doc)


def test_helper_errors_name_the_zone():
    with pytest.raises(ZoneError, match="zone 'c': field 'radius_m'"):
        circle_zone("c", "C", ZoneType.PORT, 4.0, 51.0, -5)
    with pytest.raises(ZoneError, match="zone 'r': field 'width_m'"):
        corridor_zone("r", "R", [(0.0, 0.0), (1.0, 0.0)], 0)


def test_load_zones_file_errors_name_the_path(tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(ZoneError, match=r"bad\.geojson"):
        load_zones_file(bad)
    with pytest.raises(ZoneError, match=r"missing\.geojson"):
        load_zones_file(tmp_path / "missing.geojson")
