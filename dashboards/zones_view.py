"""What the Zones page shows and accepts: the zone list, uploaded GeoJSON, drawn shapes (no Streamlit here).

Zones come from the store once an admin has changed any; until then from the
run's zones file (the first change copies those into the store, so nothing is
lost and every later change is logged).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import shapely

from cargotrail.contract.records import ZoneType
from cargotrail.errors import ZoneError
from cargotrail.wiring import zones_in_force as zones_in_force  # the pipeline's rule; bench/ imports it here
from geofence.zones import Zone, ZoneGeometry, zones_from_geojson, zones_to_geojson
from store.base import ZoneChange

ZONE_COLUMNS = ["zone", "name", "type", "shape", "dwell threshold (h)", "UN/LOCODE", "area (km²)"]
LOG_COLUMNS = ["time (UTC)", "zone", "action", "by", "note"]
TYPE_COLOURS: dict[str, list[int]] = {  # RGBA fill, one per ZoneType
    "port": [60, 120, 200, 50],
    "terminal": [30, 150, 140, 70],
    "customs": [150, 80, 190, 70],
    "depot": [200, 140, 40, 70],
    "restricted": [210, 40, 50, 80],
    "corridor": [120, 120, 120, 25],
}
MAP_DECIMALS = 5  # ~1 m: plenty for drawing a zone, and a third of the bytes of full precision
_KM2_PER_DEG2 = (math.pi * 6371.0088 / 180.0) ** 2


def shape_of(zone: Zone) -> str:
    """How the zone was drawn: a circle or corridor keeps its radius or width among its properties."""
    props = zone.properties
    if "radius_m" in props:
        return f"circle, radius {float(str(props['radius_m'])):,.0f} m"
    if "width_m" in props:
        return f"corridor, {float(str(props['width_m'])):,.0f} m wide"
    return str(zone.geometry.geom_type).lower()


def area_km2(zone: Zone) -> float:
    """Approximate area (equirectangular at the zone's centroid latitude)."""
    lat = zone.geometry.centroid.y
    return float(zone.geometry.area * _KM2_PER_DEG2 * math.cos(math.radians(lat)))


def zones_frame(zones: Sequence[Zone]) -> pd.DataFrame:
    rows = [
        {
            "zone": z.zone_id,
            "name": z.name,
            "type": z.zone_type.value,
            "shape": shape_of(z),
            "dwell threshold (h)": round(z.dwell_limit_s / 3600, 2) if z.dwell_limit_s else None,
            "UN/LOCODE": z.locode or "",
            "area (km²)": round(area_km2(z), 2),
        }
        for z in sorted(zones, key=lambda z: z.zone_id)
    ]
    return pd.DataFrame(rows, columns=ZONE_COLUMNS)


def map_geojson(
    zones: Sequence[Zone], *, include_corridors: bool = True, selected: str | None = None
) -> dict[str, Any]:
    """The zones as a FeatureCollection for the map, each with its fill colour (the selected one stronger)."""
    shown = [z for z in zones if include_corridors or z.zone_type is not ZoneType.CORRIDOR]
    doc = zones_to_geojson([replace(z, geometry=_rounded(z.geometry)) for z in shown])
    for feature in doc["features"]:
        props = feature["properties"]
        fill = list(TYPE_COLOURS[props["type"]])
        if props["id"] == selected:
            fill[3] = 170
        props["fill"] = fill
    return doc


def _rounded(geometry: ZoneGeometry) -> ZoneGeometry:
    """Coordinates to ``MAP_DECIMALS`` places: the map is drawn, not tested, from them."""
    return shapely.transform(geometry, lambda xy: xy.round(MAP_DECIMALS))


def parse_upload(data: bytes) -> tuple[list[Zone], str]:
    """Zones from an uploaded GeoJSON FeatureCollection (or one Feature), or none and why.

    The reason names the feature (index and id) and the field, as ``zones_from_geojson`` does.
    """
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [], f"not a GeoJSON file: {exc}"
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    try:
        zones = zones_from_geojson(doc)
    except ZoneError as exc:
        return [], str(exc)
    if not zones:
        return [], "the FeatureCollection has no features"
    return zones, ""


def drawn_zone(
    drawing: Mapping[str, Any] | None,
    *,
    zone_id: str,
    name: str,
    zone_type: str,
    dwell_h: float | None,
    locode: str,
    width_m: float | None,
) -> Zone:
    """A zone from a shape drawn on the map (Leaflet Draw's GeoJSON) and the form's fields.

    A drawn circle arrives as a Point with its ``radius`` in metres; a drawn line
    becomes a corridor ``width_m`` wide. Raises ``ZoneError`` naming the field.
    """
    if not drawing or not isinstance(drawing.get("geometry"), Mapping):
        raise ZoneError("field 'geometry': draw a polygon, rectangle, circle or line on the map first")
    geometry = dict(drawing["geometry"])
    props: dict[str, Any] = {
        "id": zone_id.strip(),
        "name": name.strip() or zone_id.strip(),
        "type": zone_type,
    }
    if dwell_h:
        props["dwell_limit_s"] = dwell_h * 3600.0
    if locode.strip():
        props["locode"] = locode.strip().upper()
    if geometry.get("type") == "Point":
        props["radius_m"] = (drawing.get("properties") or {}).get("radius")
    elif geometry.get("type") == "LineString":
        props["width_m"] = width_m
    feature = {"type": "Feature", "properties": props, "geometry": geometry}
    return zones_from_geojson({"type": "FeatureCollection", "features": [feature]})[0]


def with_fields(zone: Zone, *, name: str, zone_type: str, dwell_h: float | None, locode: str) -> Zone:
    """``zone`` with the form's name, type, dwell threshold and UN/LOCODE (its shape kept)."""
    doc = zones_to_geojson([zone])
    props = doc["features"][0]["properties"]
    props.update(name=name.strip() or zone.zone_id, type=zone_type)
    props.pop("dwell_limit_s", None)
    props.pop("locode", None)
    if dwell_h:
        props["dwell_limit_s"] = dwell_h * 3600.0
    if locode.strip():
        props["locode"] = locode.strip().upper()
    return zones_from_geojson(doc)[0]


def log_frame(changes: Sequence[ZoneChange]) -> pd.DataFrame:
    rows = [
        {
            "time (UTC)": datetime.fromtimestamp(c.ts, UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "zone": c.zone_id,
            "action": c.action.value,
            "by": c.operator,
            "note": c.note,
        }
        for c in changes
    ]
    return pd.DataFrame(rows, columns=LOG_COLUMNS)
