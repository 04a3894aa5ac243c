"""SQLite adapter, the live feed's half: changes after a cursor (``Repository.changes_after``).

The cursor is ``0.<seq>`` of the change log that migration 0005's triggers keep: SQLite commits
one writer at a time and the log's numbers never repeat, so a reader that sees number n has seen
every change numbered below it. One statement reads the log and what it points at (one snapshot).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import msgspec

from cargotrail.contract.records import Alert, GeofenceEvent
from cargotrail.errors import StoreError
from store.base import AlertRow, AlertStatus, Change, Position, format_cursor, parse_cursor

_event = msgspec.json.Decoder(GeofenceEvent)
_alert = msgspec.json.Decoder(Alert)

_CHANGES = (
    "SELECT c.seq, c.kind, p.container_id, p.device_id, p.reading_id, p.ts, p.lat, p.lon, p.speed_kmh, "
    "p.temperature_c, e.body, a.body, a.status, a.assignee, a.updated_ts FROM live_changes c "
    "LEFT JOIN positions p ON c.kind = 'position' AND p.container_id = c.key "
    "LEFT JOIN geofence_events e ON c.kind = 'geofence' AND e.event_id = c.key "
    "LEFT JOIN alerts a ON c.kind = 'alert' AND a.alert_id = c.key "
    "WHERE c.seq > ? ORDER BY c.seq LIMIT ?"
)


def _change(row: tuple[Any, ...]) -> Change:
    seq, kind, box, device, reading, ts, lat, lon, speed, temp, event, alert, status, assignee, updated = row
    cursor = format_cursor(0, int(seq))
    if kind == "position":
        fix = Position(
            container_id=box,
            device_id=device,
            reading_id=reading,
            ts=float(ts),
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


class SqliteChanges:
    """``change_head`` and ``changes_after`` over ``self._db``."""

    path: Path
    _db: sqlite3.Connection

    def change_head(self) -> str:
        try:
            row = self._db.execute("SELECT MAX(seq) FROM live_changes").fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self.path}: reading the change log failed: {exc}") from exc
        return format_cursor(0, int(row[0]) if row and row[0] is not None else 0)

    def changes_after(self, cursor: str, limit: int = 500) -> list[Change]:
        _, after = parse_cursor(cursor)
        try:
            rows = self._db.execute(_CHANGES, (after, max(1, limit))).fetchall()
        except sqlite3.Error as exc:
            what = f"reading changes after {cursor}"
            raise StoreError(f"SQLite store {self.path}: {what} failed: {exc}") from exc
        return [_change(r) for r in rows]
