"""Pure geofencing: zones (GeoJSON), a vectorised spatial index, per-container transitions."""

from geofence.index import ZoneIndex
from geofence.transitions import ContainerZones, Fixes, TrackerOutput, ZoneTracker
from geofence.zones import (
    Zone,
    circle_zone,
    corridor_zone,
    load_zones_file,
    zones_from_geojson,
    zones_to_geojson,
)

__all__ = [
    "ContainerZones",
    "Fixes",
    "TrackerOutput",
    "Zone",
    "ZoneIndex",
    "ZoneTracker",
    "circle_zone",
    "corridor_zone",
    "load_zones_file",
    "zones_from_geojson",
    "zones_to_geojson",
]
