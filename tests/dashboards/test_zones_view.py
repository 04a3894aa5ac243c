"""The Zones page's pure logic: uploads, drawings, edits, the list and the log (dashboards/zones_view.py)."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import Polygon

from cargotrail.contract.records import ZoneType
from cargotrail.errors import ZoneError
from dashboards import roles, zone_maps, zones_view
from geofence.zones import Zone, circle_zone, corridor_zone
from store.base import ZoneAction, ZoneChange

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[4.0, 51.9], [4.1, 51.9], [4.1, 52.0], [4.0, 52.0], [4.0, 51.9]]],
}


def feature(**props: object) -> dict[str, object]:
    return {"type": "Feature", "properties": {"id": "Q1", "type": "terminal", **props}, "geometry": SQUARE}


def test_only_admins_edit_zones():
    assert [r for r in roles.ROLES if roles.may_edit_zones(r)] == ["admin"]


def test_an_upload_is_a_feature_collection_or_one_feature():
    zones, problem = zones_view.parse_upload(json.dumps(feature(name="Quay")).encode())
    assert problem == "" and [(z.zone_id, z.name, z.zone_type) for z in zones] == [
        ("Q1", "Quay", ZoneType.TERMINAL)
    ]
    doc = {"type": "FeatureCollection", "features": [feature(), feature(id="Q2")]}
    assert [z.zone_id for z in zones_view.parse_upload(b"\xef\xbb\xbf" + json.dumps(doc).encode())[0]] == [
        "Q1",
        "Q2",
    ]


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        (b"{nope", "not a GeoJSON file"),
        (json.dumps({"type": "FeatureCollection", "features": []}).encode(), "has no features"),
        (json.dumps([1]).encode(), "expected a GeoJSON FeatureCollection"),
        (json.dumps(feature(dwell_limit_s=-5)).encode(), "feature 0 (id 'Q1'): field 'dwell_limit_s'"),
        (
            json.dumps({"type": "FeatureCollection", "features": [feature(), feature()]}).encode(),
            "feature 1 (id 'Q1'): field 'id': duplicate id",
        ),
    ],
)
def test_a_bad_upload_says_which_feature_and_field(doc, says):
    zones, problem = zones_view.parse_upload(doc)
    assert zones == [] and says in problem


def test_drawn_shapes_become_zones():
    common = {"zone_id": " G1 ", "name": "", "zone_type": "customs", "dwell_h": 0.5, "locode": "nlrtm"}
    circle = {
        "type": "Feature",
        "properties": {"radius": 250.0},
        "geometry": {"type": "Point", "coordinates": [4, 52]},
    }
    gate = zones_view.drawn_zone(circle, width_m=None, **common)
    assert (gate.zone_id, gate.name, gate.dwell_limit_s, gate.locode) == ("G1", "G1", 1800.0, "NLRTM")
    assert zones_view.shape_of(gate) == "circle, radius 250 m"
    line = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "LineString", "coordinates": [[3, 52], [4, 52]]},
    }
    lane = zones_view.drawn_zone(line, width_m=5000.0, **{**common, "zone_type": "corridor", "dwell_h": None})
    assert zones_view.shape_of(lane) == "corridor, 5,000 m wide" and lane.dwell_limit_s is None
    box = zones_view.drawn_zone({"type": "Feature", "geometry": SQUARE}, width_m=None, **common)
    assert zones_view.shape_of(box) == "polygon"


@pytest.mark.parametrize(
    ("drawing", "fields", "says"),
    [
        (None, {}, "draw a polygon"),
        ({"type": "Feature", "geometry": SQUARE}, {"zone_id": ""}, "field 'id'"),
        (
            {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [4, 52]}},
            {},
            "radius_m",
        ),
        (
            {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[3, 52], [4, 52]]}},
            {},
            "width_m",
        ),
    ],
)
def test_a_bad_drawing_names_the_field(drawing, fields, says):
    args = {
        "zone_id": "G1",
        "name": "",
        "zone_type": "customs",
        "dwell_h": None,
        "locode": "",
        "width_m": None,
    }
    with pytest.raises(ZoneError, match=says):
        zones_view.drawn_zone(drawing, **{**args, **fields})


def test_editing_fields_keeps_the_shape():
    gate = circle_zone("G1", "Gate", ZoneType.CUSTOMS, 4.0, 52.0, 300.0, dwell_limit_s=600.0, locode="NLRTM")
    edited = zones_view.with_fields(gate, name="New gate", zone_type="restricted", dwell_h=None, locode="")
    assert (edited.name, edited.zone_type, edited.dwell_limit_s, edited.locode) == (
        "New gate",
        ZoneType.RESTRICTED,
        None,
        None,
    )
    assert edited.geometry.equals(gate.geometry) and zones_view.shape_of(edited) == "circle, radius 300 m"


def test_the_list_and_the_map():
    quay = Zone("Q1", "Quay", ZoneType.TERMINAL, Polygon([(4.0, 51.9), (4.1, 51.9), (4.1, 52.0)]), 7200.0)
    lane = corridor_zone("L1", "Lane", [(3.0, 52.0), (4.0, 52.5)], 10_000.0)
    frame = zones_view.zones_frame([quay, lane])
    assert list(frame["zone"]) == ["L1", "Q1"] and list(frame["dwell threshold (h)"].fillna(-1)) == [-1, 2.0]
    assert 30 < frame["area (km²)"].iloc[1] < 45  # half of a 0.1 x 0.1 degree box at 52 N
    doc = zones_view.map_geojson([quay, lane], include_corridors=False, selected="Q1")
    assert [f["properties"]["id"] for f in doc["features"]] == ["Q1"]
    assert doc["features"][0]["properties"]["fill"][3] > zones_view.TYPE_COLOURS["terminal"][3]
    assert zone_maps.view_state([quay], "Q1").latitude == pytest.approx(51.95)
    html = zone_maps.draw_map([quay, lane], None).get_root().render()
    assert "L.Control.Draw" in html and '"Q1"' in html and '"L1"' not in html


def test_the_log_reads_newest_first():
    change = ZoneChange(
        zone_id="Q1", ts=0.0, action=ZoneAction.DELETED, operator="Ada", feature="{}", note="gone"
    )
    frame = zones_view.log_frame([change])
    assert frame.to_dict("records") == [
        {"time (UTC)": "1970-01-01 00:00:00", "zone": "Q1", "action": "deleted", "by": "Ada", "note": "gone"}
    ]
