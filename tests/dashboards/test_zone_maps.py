"""The drawing map (dashboards/zone_maps.py) and where its Leaflet comes from (dashboards/web_assets.py)."""

from __future__ import annotations

from pathlib import Path

import folium
from shapely.geometry import Polygon

from cargotrail.contract.records import ZoneType
from dashboards import web_assets
from dashboards.zone_maps import LeafletLinks, draw_map
from geofence.zones import Zone

QUAY = Zone("Q1", "Quay", ZoneType.TERMINAL, Polygon([(4.0, 51.9), (4.1, 51.9), (4.1, 52.0), (4.0, 52.0)]))
LOCAL = LeafletLinks(
    leaflet_js="../web/leaflet.js",
    leaflet_css="../web/leaflet.css",
    draw_js="../web/leaflet.draw.js",
    draw_css="../web/leaflet.draw.css",
)


def header(m: folium.Map) -> str:
    return str(m.get_root().render())


def test_with_local_links_the_map_loads_nothing_from_the_internet():
    page = header(draw_map([QUAY], "Q1", LOCAL))
    for url in (LOCAL.leaflet_js, LOCAL.leaflet_css, LOCAL.draw_js, LOCAL.draw_css):
        assert url in page
    assert "https://" not in page.split("<body>")[0]  # tiles load later, from the body's script


def test_local_links_leave_folium_s_own_defaults_alone():
    draw_map([QUAY], None, LOCAL)
    assert "cdn.jsdelivr.net/npm/leaflet" in header(draw_map([QUAY], None))


def test_the_dashboard_s_copies_are_found_and_served_beside_the_map_frame(tmp_path: Path):
    assert web_assets.local_leaflet(tmp_path) is None  # not fetched: the page falls back to the CDN
    for f in ("leaflet/dist/leaflet.js", "leaflet/dist/leaflet.css"):
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text("/* */")
    assert web_assets.local_leaflet(tmp_path) is None  # Leaflet.draw missing
    for f in ("leaflet-draw/dist/leaflet.draw.js", "leaflet-draw/dist/leaflet.draw.css"):
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text("/* */")
    links = web_assets.local_leaflet(tmp_path)
    assert links is not None
    assert links.draw_js == "../dashboards.web_assets.leaflet/leaflet-draw/dist/leaflet.draw.js"
