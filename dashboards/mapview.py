"""Where a map opens: centred on a bounding box, zoomed to show it whole (no Streamlit here)."""

from __future__ import annotations

import math

import pydeck as pdk

WORLD = pdk.ViewState(latitude=25, longitude=40, zoom=1.3)


def fitted_view(minx: float, miny: float, maxx: float, maxy: float) -> pdk.ViewState:
    """A view centred on the lon/lat box, zoomed so that it fills about a third of the map."""
    span = max(maxx - minx, maxy - miny, 1e-4)
    zoom = max(1.0, min(15.0, math.log2(360.0 / span) - 1.5))
    return pdk.ViewState(latitude=(miny + maxy) / 2, longitude=(minx + maxx) / 2, zoom=zoom)
