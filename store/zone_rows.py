"""Geofences as store rows, shared by both adapters: WKB geometry, JSON properties, GeoJSON for the log.

The geometry goes in as WKB (exact, and what PostGIS takes); the properties
that have no column of their own (``radius_m``, ``width_m``, colours...) go in
as JSON so that a zone reads back equal to the one saved.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon

from cargotrail.contract.records import ZoneType
from cargotrail.errors import StoreCorrupt, StoreError
from geofence.zones import Zone, zones_to_geojson

ZoneRow = tuple[str, str, str, float | None, str | None, bytes, str]


def zone_row(zone: Zone) -> ZoneRow:
    """(zone_id, name, zone_type, dwell_limit_s, locode, wkb, properties JSON) of ``zone``."""
    try:
        props = json.dumps(dict(zone.properties), sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"zone {zone.zone_id}: properties are not plain JSON ({exc})") from exc
    wkb = shapely.to_wkb(zone.geometry)
    return (zone.zone_id, zone.name, zone.zone_type.value, zone.dwell_limit_s, zone.locode, wkb, props)


def zone_from_row(
    zone_id: str,
    name: str,
    zone_type: str,
    dwell_limit_s: float | None,
    locode: str | None,
    wkb: bytes,
    properties: str | dict[str, Any],
) -> Zone:
    """The zone a ``zone_row`` was made from (``StoreCorrupt`` naming the zone when it cannot be)."""
    try:
        geometry = shapely.from_wkb(bytes(wkb))
        props = json.loads(properties) if isinstance(properties, str) else dict(properties)
        kind = ZoneType(zone_type)
    except (ValueError, TypeError, shapely.errors.GEOSException) as exc:
        raise StoreCorrupt(f"zone {zone_id} in the store is unreadable: {exc}") from exc
    if not isinstance(geometry, Polygon | MultiPolygon) or not isinstance(props, dict):
        raise StoreCorrupt(f"zone {zone_id} in the store is unreadable: {geometry.geom_type} geometry")
    return Zone(zone_id, name, kind, geometry, dwell_limit_s, locode, props)


def feature_json(zone: Zone) -> str:
    """The zone as one compact GeoJSON Feature, as the change log keeps it."""
    return json.dumps(zones_to_geojson([zone])["features"][0], sort_keys=True, separators=(",", ":"))


def compact_json(text: str) -> str:
    """``text`` re-encoded as the log keeps it (sorted keys, no spaces): jsonb hands it back reordered."""
    return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))


def saving_what(zones: Sequence[Zone]) -> str:
    """What a save is about, for its error messages: the first zone and how many more."""
    more = f" and {len(zones) - 1} more" if len(zones) > 1 else ""
    return f"saving zone {zones[0].zone_id}{more}"


def check_operator(operator: str, what: str) -> str:
    """The operator's name, stripped; a change nobody signed is refused."""
    name = operator.strip()
    if not name:
        raise StoreError(f"{what}: a zone change needs the operator's name")
    return name
