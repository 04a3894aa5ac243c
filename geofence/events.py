"""Building ``GeofenceEvent`` records for the zone tracker.

Event ids are ``cargotrail.contract.ids.geofence_event_id`` spelled out (same bytes):
the generic helper's join over a generator and type checks cost more than the hash
when a batch emits tens of thousands of events. A batch's events are built at once
(``EventMaker.build``): the texts are spelled out in Python and hashed in one call
(``cargotrail.contract.ids.text_ids``, native when built).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from cargotrail.contract.ids import text_ids
from cargotrail.contract.records import GeofenceEvent, GeofenceKind
from geofence.index import ZoneIndex

# An event's evidence: container, device, reading id, ts, lon, lat.
Fix = tuple[str, str, str, float, float, float]
# An event not built yet: kind, evidence, zone index, dwell_s, ts as a datetime (None: from the fix).
Pending = tuple[GeofenceKind, Fix, int, float | None, datetime | None]
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

    def build(self, pending: list[Pending]) -> list[GeofenceEvent]:
        """The events of ``pending``, in order: what calling ``self`` on each would give."""
        zone_ids, types = self._ids, self._types
        texts = [f"geofence\x1f{_VALUE[p[0]]}\x1f{p[1][0]}\x1f{zone_ids[p[2]]}\x1f{p[1][2]}" for p in pending]
        return [
            GeofenceEvent(
                event_id=event_id,
                kind=kind,
                container_id=fix[0],
                device_id=fix[1],
                zone_id=zone_ids[z],
                zone_type=types[z],
                ts=when or datetime.fromtimestamp(fix[3], UTC),
                lat=fix[5],
                lon=fix[4],
                reading_id=fix[2],
                dwell_s=dwell_s,
            )
            for event_id, (kind, fix, z, dwell_s, when) in zip(text_ids(texts), pending, strict=True)
        ]
