"""Geofence zones and their GeoJSON form.

A zone is a lon/lat (degrees, WGS 84) polygon or multipolygon with a type a port
operator recognises (``ZoneType``). GeoJSON FeatureCollections describe them;
each Feature's ``properties`` carry:

- ``id`` (required, unique), ``name`` (defaults to the id), ``type`` (required,
  a ``ZoneType`` value), ``dwell_limit_s`` (optional, > 0), ``locode`` (optional);
- ``radius_m`` when the geometry is a Point: the zone is a circle;
- ``width_m`` when the geometry is a LineString: the zone is a corridor of that
  total width around the line.

Circles and corridors are buffered in metres in a local equirectangular
projection centred on the geometry (longitude scaled by cos(latitude) at the
centroid latitude, spherical Earth of radius 6,371,008.8 m), then brought back
to lon/lat. The error stays well under 1 % for zones up to a few hundred
kilometres away from the poles; zones must not cross the antimeridian.

Every invalid feature raises ``ZoneError`` naming the feature index, its id and
the offending field.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, mapping, shape

from cargotrail.contract.records import ZoneType
from cargotrail.errors import ZoneError

EARTH_RADIUS_M = 6_371_008.8
_M_PER_DEG = math.pi * EARTH_RADIUS_M / 180.0
# Keys with a dedicated Zone field; every other property is kept in Zone.properties.
_CORE_KEYS = ("id", "name", "type", "dwell_limit_s", "locode")
_ZONE_TYPES = tuple(t.value for t in ZoneType)

ZoneGeometry: TypeAlias = Polygon | MultiPolygon


@dataclass(frozen=True)
class Zone:
    """One geofence: ``geometry`` is in lon/lat degrees; boundary points count as inside."""

    zone_id: str
    name: str
    zone_type: ZoneType
    geometry: ZoneGeometry
    dwell_limit_s: float | None = None
    locode: str | None = None
    properties: Mapping[str, object] = field(default_factory=dict)


def _buffer_metres(geom: Point | LineString, distance_m: float) -> Polygon:
    """Buffer ``geom`` by ``distance_m`` metres (local equirectangular approximation)."""
    centre = geom.centroid
    lon0, lat0 = centre.x, centre.y
    kx = _M_PER_DEG * math.cos(math.radians(lat0))

    def to_m(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.column_stack(((xy[:, 0] - lon0) * kx, (xy[:, 1] - lat0) * _M_PER_DEG))

    def to_deg(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.column_stack((xy[:, 0] / kx + lon0, xy[:, 1] / _M_PER_DEG + lat0))

    buffered = shapely.transform(shapely.transform(geom, to_m).buffer(distance_m, quad_segs=16), to_deg)
    assert isinstance(buffered, Polygon)
    return buffered


def _check_lonlat(geom: shapely.Geometry, what: str) -> None:
    xy = shapely.get_coordinates(geom)
    if xy.size == 0 or not np.isfinite(xy).all():
        raise ValueError(f"{what} has no or non-finite coordinates")
    if (np.abs(xy[:, 0]) > 180.0).any() or (np.abs(xy[:, 1]) > 90.0).any():
        raise ValueError(f"{what} lies outside lon [-180, 180] / lat [-90, 90]")


def _polygonal(geom: shapely.Geometry) -> ZoneGeometry:
    """Make ``geom`` valid and keep only its polygonal parts (make_valid may add lines)."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon | MultiPolygon)]
    polys = [q for p in parts for q in (p.geoms if isinstance(p, MultiPolygon) else [p])]
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def circle_zone(
    zone_id: str,
    name: str,
    zone_type: ZoneType,
    lon: float,
    lat: float,
    radius_m: float,
    *,
    dwell_limit_s: float | None = None,
    locode: str | None = None,
    properties: Mapping[str, object] | None = None,
) -> Zone:
    """A circle of ``radius_m`` metres around (lon, lat); ``radius_m`` is kept in properties."""
    return _helper_zone(
        {
            **(properties or {}),
            "id": zone_id,
            "name": name,
            "type": zone_type.value,
            "radius_m": radius_m,
            "dwell_limit_s": dwell_limit_s,
            "locode": locode,
        },
        {"type": "Point", "coordinates": [lon, lat]},
    )


def corridor_zone(
    zone_id: str,
    name: str,
    coords: Sequence[tuple[float, float]],
    width_m: float,
    *,
    zone_type: ZoneType = ZoneType.CORRIDOR,
    dwell_limit_s: float | None = None,
    locode: str | None = None,
    properties: Mapping[str, object] | None = None,
) -> Zone:
    """A corridor ``width_m`` metres wide (total) along the (lon, lat) polyline ``coords``."""
    return _helper_zone(
        {
            **(properties or {}),
            "id": zone_id,
            "name": name,
            "type": zone_type.value,
            "width_m": width_m,
            "dwell_limit_s": dwell_limit_s,
            "locode": locode,
        },
        {"type": "LineString", "coordinates": [list(c) for c in coords]},
    )


def _helper_zone(props: Mapping[str, Any], geometry: Any) -> Zone:
    try:
        return _make_zone(props, geometry)
    except ZoneError as exc:
        raise ZoneError(f"zone {props.get('id')!r}: {exc}") from exc


def _positive(props: Mapping[str, Any], key: str) -> float | None:
    """The optional positive number ``props[key]`` (None when absent)."""
    value = props.get(key)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ZoneError(f"field {key!r}: must be a positive finite number, got {value!r}")
    return float(value)


def _required_positive(props: Mapping[str, Any], key: str, shape_name: str) -> float:
    value = _positive(props, key)
    if value is None:
        raise ZoneError(f"field {key!r}: required for a {shape_name} geometry")
    return value


def _make_zone(props: Mapping[str, Any], geometry: Any) -> Zone:
    """Build one zone; raises ZoneError naming the field (the caller adds index and id)."""
    zone_id = props.get("id")
    if not isinstance(zone_id, str) or not zone_id:
        raise ZoneError(f"field 'id': required non-empty string, got {zone_id!r}")
    name = props.get("name", zone_id)
    if not isinstance(name, str):
        raise ZoneError(f"field 'name': must be a string, got {name!r}")
    raw_type = props.get("type")
    if not isinstance(raw_type, str) or raw_type not in _ZONE_TYPES:
        raise ZoneError(f"field 'type': must be one of {', '.join(_ZONE_TYPES)}, got {raw_type!r}")
    zone_type = ZoneType(raw_type)
    locode = props.get("locode")
    if locode is not None and not isinstance(locode, str):
        raise ZoneError(f"field 'locode': must be a string, got {locode!r}")
    dwell = _positive(props, "dwell_limit_s")
    if not isinstance(geometry, Mapping):
        raise ZoneError("field 'geometry': required GeoJSON geometry object")
    try:
        geom = shape(geometry)
        _check_lonlat(geom, "geometry")
    except Exception as exc:  # shapely raises many types for malformed coordinates
        raise ZoneError(f"field 'geometry': bad coordinates ({exc})") from exc
    if isinstance(geom, Point):
        geom = _buffer_metres(geom, _required_positive(props, "radius_m", "Point"))
    elif isinstance(geom, LineString):
        width = _required_positive(props, "width_m", "LineString")
        if geom.length == 0:
            raise ZoneError("field 'geometry': a corridor line needs two distinct points")
        geom = _buffer_metres(geom, width / 2.0)
    elif not isinstance(geom, Polygon | MultiPolygon):
        raise ZoneError(
            f"field 'geometry': {geom.geom_type} is not a zone (Polygon, MultiPolygon, Point, LineString)"
        )
    try:
        _check_lonlat(geom, "zone")
    except ValueError as exc:
        raise ZoneError(f"field 'geometry': {exc} (too close to a pole or the antimeridian?)") from None
    zone_geom = _polygonal(geom)
    if zone_geom.is_empty or zone_geom.area == 0:
        raise ZoneError("field 'geometry': empty polygon (no area after make_valid)")
    extra = {k: v for k, v in props.items() if k not in _CORE_KEYS}
    return Zone(zone_id, name, zone_type, zone_geom, dwell, locode, extra)


def zones_from_geojson(doc: Mapping[str, Any]) -> list[Zone]:
    """Parse a GeoJSON FeatureCollection into zones (see the module docstring for properties)."""
    if not isinstance(doc, Mapping) or doc.get("type") != "FeatureCollection":
        raise ZoneError("zones document: expected a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list):
        raise ZoneError("zones document: 'features' must be a list")
    zones: list[Zone] = []
    seen: set[str] = set()
    for index, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, Mapping) else None
        if not isinstance(props, Mapping):
            raise ZoneError(f"feature {index}: field 'properties': required object")
        where = f"feature {index} (id {props.get('id')!r})"
        try:
            zone = _make_zone(props, feature.get("geometry"))
        except ZoneError as exc:
            raise ZoneError(f"{where}: {exc}") from exc
        if zone.zone_id in seen:
            raise ZoneError(f"{where}: field 'id': duplicate id")
        seen.add(zone.zone_id)
        zones.append(zone)
    return zones


def zones_to_geojson(zones: Sequence[Zone]) -> dict[str, Any]:
    """The FeatureCollection of ``zones``; ``zones_from_geojson`` reads it back to equal zones.

    Circles and corridors come back as their polygons, with ``radius_m`` / ``width_m``
    kept among the properties.
    """
    features = []
    for z in zones:
        props: dict[str, Any] = {**z.properties, "id": z.zone_id, "name": z.name, "type": z.zone_type.value}
        if z.dwell_limit_s is not None:
            props["dwell_limit_s"] = z.dwell_limit_s
        if z.locode is not None:
            props["locode"] = z.locode
        features.append({"type": "Feature", "properties": props, "geometry": mapping(z.geometry)})
    return {"type": "FeatureCollection", "features": features}


def load_zones_file(path: str | os.PathLike[str]) -> list[Zone]:
    """Read a GeoJSON FeatureCollection file (UTF-8, BOM tolerated) into zones."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            doc = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ZoneError(f"zones file {os.fspath(path)!r}: cannot read ({exc})") from exc
    return zones_from_geojson(doc)
