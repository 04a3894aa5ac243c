"""The control tower's pure logic (dashboards/tower_view.py): fleet, filters, KPIs, layers."""

from __future__ import annotations

import json

import numpy as np
import pydeck as pdk
from shapely.geometry import Polygon

from cargotrail.contract.records import ZoneType
from dashboards import tower_view
from geofence.zones import Zone, circle_zone
from store.base import Position

PORT = Zone("P1", "Port", ZoneType.PORT, Polygon([(0, 0), (1, 0), (1, 1), (0, 1)]))
DEPOT = circle_zone("D1", "Depot", ZoneType.DEPOT, 10.0, 10.0, 5000.0)


def pos(container: str, lon: float, lat: float, ts: float = 0.0) -> Position:
    return Position(container_id=container, device_id="d", reading_id="r", ts=ts, lat=lat, lon=lon)


FLEET = [
    pos("MSCU1234565", 0.5, 0.5, 100.0),  # in the port
    pos("MAEU1234567", 1.0, 0.5),  # on the port's boundary: inside
    pos("HLXU1234560", 10.0, 10.0),  # in the depot
    pos("ABCU0000001", 5.0, 5.0),  # at sea, owner unknown
]
WORST = {"MAEU1234567": "critical", "HLXU1234560": "low"}


def test_the_fleet_and_its_filters():
    frame = tower_view.fleet_frame(FLEET, WORST)
    assert list(frame["status"]) == ["ok", "critical", "low", "ok"]
    assert list(frame["carrier"]) == ["MSC", "Maersk", "Hapag-Lloyd", "other (ABC)"]
    zones = {"P1": PORT, "D1": DEPOT}

    def kept(**kw: object) -> list[str]:
        return list(tower_view.apply_filters(frame, tower_view.Filters(**kw), zones)["container"])

    assert len(kept()) == 4
    assert kept(carriers=frozenset({"MSC", "Maersk"})) == ["MSCU1234565", "MAEU1234567"]
    assert kept(zone_id="P1") == ["MSCU1234565", "MAEU1234567"]
    assert kept(zone_id="D1") == ["HLXU1234560"]
    assert kept(zone_id="gone") == []
    assert kept(statuses=frozenset({"critical", "low"}), carriers=frozenset({"Hapag-Lloyd"})) == [
        "HLXU1234560"
    ]


def test_kpis_count_what_the_filters_leave():
    frame = tower_view.fleet_frame(FLEET, WORST)
    in_port = tower_view.inside(frame, tower_view.port_area([PORT, DEPOT]))
    assert list(in_port) == [True, True, False, False]
    k = tower_view.tower_kpis(frame, in_port, [])
    assert (k["containers"], k["in_port"], k["in_transit"], k["open_alerts"]) == (4, 2, 2, 0)
    assert k["device_time"] == "01 Jan 00:01"
    empty = tower_view.fleet_frame([], {})
    assert tower_view.tower_kpis(empty, tower_view.inside(empty, None), [])["device_time"] == "-"
    assert tower_view.port_area([DEPOT]) is None


def test_readings_per_second_between_refreshes():
    assert tower_view.readings_rate(None, 10.0, 500) is None
    assert tower_view.readings_rate((10.0, 500), 15.0, 1500) == 200.0
    assert tower_view.readings_rate((10.0, 500), 10.0, 1500) is None


def test_one_layer_per_status_worst_on_top_and_slim_rows():
    frame = tower_view.fleet_frame(FLEET, WORST)
    layers = tower_view.status_layers(frame)
    assert [layer.id for layer in layers] == ["status-ok", "status-low", "status-critical"]
    deck = json.loads(tower_view.tower_deck(layers, "light").to_json())
    ok = next(layer for layer in deck["layers"] if layer["id"] == "status-ok")
    assert set(ok["data"][0]) == {"container", "lon", "lat", "status", "seen"}
    assert ok["getFillColor"] == [40, 160, 90, 190]
    assert isinstance(tower_view.zone_layer([PORT], include_corridors=False, selected=None), pdk.Layer)
    assert np.isclose(ok["data"][0]["lon"], 0.5)
