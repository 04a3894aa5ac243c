"""The live change log's joined rows as ``Change`` records, shared by both adapters.

Each adapter selects, after its own cursor columns, the same columns in the same order:
kind, the position's columns (container, device, reading, ts, lat, lon, speed, temperature),
the geofence event's body, the alert's body, status, assignee and last triage time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from cargotrail.contract.records import Alert, GeofenceEvent
from store.base import AlertRow, AlertStatus, Change, Position

_event = msgspec.json.Decoder(GeofenceEvent)
_alert = msgspec.json.Decoder(Alert)


def change_from_row(cursor: str, row: Sequence[Any]) -> Change:
    """One change from the columns after the cursor (``ts`` as a datetime or epoch seconds)."""
    kind, box, device, reading, ts, lat, lon, speed, temp, event, alert, status, assignee, updated = row
    if kind == "position":
        fix = Position(
            container_id=box,
            device_id=device,
            reading_id=reading,
            ts=ts.timestamp() if isinstance(ts, datetime) else float(ts),
            lat=float(lat),
            lon=float(lon),
            speed_kmh=speed,
            temperature_c=temp,
        )
        return Change(cursor=cursor, kind="position", container_id=box, position=fix)
    if kind == "geofence":
        found = _event.decode(event)
        return Change(cursor=cursor, kind="geofence", container_id=found.container_id, event=found)
    raised = _alert.decode(alert)
    row_ = AlertRow(alert=raised, status=AlertStatus(status), assignee=assignee, updated_ts=updated)
    return Change(cursor=cursor, kind="alert", container_id=raised.container_id, alert=row_)
