"""The Zones page's maps: a pydeck view of the zones, and a Leaflet (folium) map to draw a new one on.

Viewing uses pydeck like every other page (it draws offline); drawing needs
Leaflet.draw, which folium ships as its Draw plugin and streamlit-folium
returns to Python as GeoJSON. Given ``LeafletLinks`` (the dashboard's own copies:
dashboards/web_assets.py), the map loads Leaflet and Leaflet.draw from there and
nothing else; without them, folium's CDN links stand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import folium
import pydeck as pdk
from folium.plugins import Draw

from dashboards.mapview import WORLD, CompactDeck, fitted_view
from dashboards.tower_view import zone_layer
from dashboards.zones_view import TYPE_COLOURS, map_geojson
from geofence.zones import Zone

# What a zone may be drawn as: a polygon, a rectangle, a circle (radius in metres) or a corridor line.
DRAW_OPTIONS = {
    "polyline": True,
    "polygon": True,
    "rectangle": True,
    "circle": True,
    "marker": False,
    "circlemarker": False,
}


@dataclass(frozen=True)
class LeafletLinks:
    """Where the browser finds Leaflet and Leaflet.draw (URLs, relative to the map's frame)."""

    leaflet_js: str
    leaflet_css: str
    draw_js: str
    draw_css: str


def view_state(zones: Sequence[Zone], selected: str | None) -> pdk.ViewState:
    """Centred on the selected zone, zoomed to its size; else the whole world."""
    zone = next((z for z in zones if z.zone_id == selected), None)
    if zone is None:
        return WORLD
    return fitted_view(*zone.geometry.bounds)


def zones_deck(
    zones: Sequence[Zone], *, include_corridors: bool, selected: str | None, style: str
) -> pdk.Deck:
    layer = zone_layer(zones, include_corridors=include_corridors, selected=selected)
    layer.pickable = True
    return CompactDeck(
        layers=[layer],
        initial_view_state=view_state(zones, selected),
        map_style=style,
        tooltip={"text": "{id}\n{name}\ntype: {type}"},
    )


def draw_map(zones: Sequence[Zone], selected: str | None, links: LeafletLinks | None = None) -> folium.Map:
    """A Leaflet map with the zones (corridors left out: too many to draw over) and the Draw toolbar.

    With ``links``, the map needs only Leaflet (folium's jQuery, Bootstrap and marker icon sets serve
    markers and popups, which this map has none of) and the Draw plugin only Leaflet.draw, both local.
    """
    view = view_state(zones, selected)
    m = folium.Map(
        location=[view.latitude, view.longitude], zoom_start=round(view.zoom or 2), tiles="OpenStreetMap"
    )
    doc = map_geojson(zones, include_corridors=False, selected=selected)
    if doc["features"]:
        folium.GeoJson(
            doc,
            name="zones",
            style_function=lambda f: {
                "fillColor": _hex(TYPE_COLOURS[f["properties"]["type"]]),
                "color": "#3c78c8",
                "weight": 1,
                "fillOpacity": 0.3,
            },
            tooltip=folium.GeoJsonTooltip(fields=["id", "type"]),
        ).add_to(m)
    draw = Draw(draw_options=DRAW_OPTIONS, edit_options={"edit": False, "remove": True})  # type: ignore[no-untyped-call]
    if links is not None:
        # Instance attributes: folium's own lists are class attributes shared by every map.
        m.default_js = [("leaflet", links.leaflet_js)]
        m.default_css = [("leaflet_css", links.leaflet_css)]
        draw.default_js = [("leaflet_draw_js", links.draw_js)]
        draw.default_css = [("leaflet_draw_css", links.draw_css)]
    draw.add_to(m)
    return m


def _hex(rgba: list[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgba[:3])
