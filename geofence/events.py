"""Building ``GeofenceEvent`` records for the zone tracker.

Event ids are ``cargotrail.contract.ids.geofence_event_id`` spelled out (same bytes):
the generic helper's join over a generator and type checks cost more than the hash
when a batch emits tens of thousands of events.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from cargotrail.contract.records import GeofenceEvent, GeofenceKind
from geofence.index import ZoneIndex

# An event's evidence: container, device, reading id, ts, lon, lat.
Fix = tuple[str, str, str, float, float, float]
_VALUE = {k: k.value for k in GeofenceKind}  # enum ``.value`` is a descriptor call


class EventMaker:
    """Builds events for the zones of ``index`` (by zone index)."""

    def __init__(self, index: ZoneIndex) -> None:
        self._ids = [z.zone_id for z in index.zones]
        self._types = [z.zone_type for z in index.zones]

    def __call__(
        self, kind: GeofenceKind, fix: Fix, z: int, dwell_s: float | None = None, when: datetime | None = None
    ) -> GeofenceEvent:
        """The event of ``kind`` for zone ``z`` with ``fix`` as evidence; ``when`` is its ts as a datetime."""
        container_id, device_id, rid, t, lon, lat = fix
        zone_id = self._ids[z]
        digest = hashlib.sha256(
            f"geofence\x1f{_VALUE[kind]}\x1f{container_id}\x1f{zone_id}\x1f{rid}".encode()
        )
        return GeofenceEvent(
            event_id=digest.hexdigest()[:32],
            kind=kind,
            container_id=container_id,
            device_id=device_id,
            zone_id=zone_id,
            zone_type=self._types[z],
            ts=when or datetime.fromtimestamp(t, UTC),
            lat=lat,
            lon=lon,
            reading_id=rid,
            dwell_s=dwell_s,
        )
