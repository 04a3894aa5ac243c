"""Leaflet and Leaflet.draw served by the dashboard itself, so that drawing a zone needs no internet.

``make install`` (deploy/web.mk) copies the npm packages' dist/ into ``<venv>/share/cargotrail/web``.
Streamlit serves a declared component's directory under ``/component/<name>/``; declaring that
directory as a component (never rendered) serves the files from the same origin as streamlit-folium's
map frame, which loads them by a relative URL, so a ``server.baseUrlPath`` changes nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit.components.v1 as components

from dashboards.zone_maps import LeafletLinks

WEB_DIR = Path(sys.prefix) / "share" / "cargotrail" / "web"
_NAME = "leaflet"
_FILES = {
    "leaflet_js": "leaflet/dist/leaflet.js",
    "leaflet_css": "leaflet/dist/leaflet.css",
    "draw_js": "leaflet-draw/dist/leaflet.draw.js",
    "draw_css": "leaflet-draw/dist/leaflet.draw.css",
}


def local_leaflet(web_dir: Path = WEB_DIR) -> LeafletLinks | None:
    """Links to the local copies, registered for serving; None when ``make install`` has not fetched them."""
    if not all((web_dir / f).is_file() for f in _FILES.values()):
        return None
    component = components.declare_component(_NAME, path=str(web_dir))
    # streamlit-folium's frame is /component/streamlit_folium.st_folium/index.html: a sibling directory.
    base = f"../{component.name}/"
    return LeafletLinks(**{key: base + f for key, f in _FILES.items()})
