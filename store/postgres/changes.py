"""The live feed's queries on PostgreSQL: changes after a cursor (``Repository.changes_after``).

The cursor is ``<txid>.<seq>`` of the change log that migration 0005's triggers keep. A number is
taken before its transaction commits, so a change numbered 7 may become visible after one numbered
8: a read returns only entries of transactions below the snapshot's xmin (every one of them has
ended), in (transaction id, number) order, so nothing can later appear before a cursor already
handed out. A long transaction anywhere on the server delays the feed (it holds xmin back); it
never makes it skip. One statement reads the log and what it points at (one snapshot).
"""

from __future__ import annotations

from typing import Any

import msgspec

from cargotrail.contract.records import Alert, GeofenceEvent
from store.base import AlertRow, AlertStatus, Change, Position, format_cursor, parse_cursor
from store.postgres.connect import Connected

_event = msgspec.json.Decoder(GeofenceEvent)
_alert = msgspec.json.Decoder(Alert)

_CHANGES = (
    "WITH h AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS x), "
    "c AS MATERIALIZED (SELECT l.* FROM live_changes l, h "
    "WHERE (l.txid, l.seq) > (%(t)s::text::xid8, %(s)s) AND l.txid < h.x ORDER BY l.txid, l.seq LIMIT %(n)s) "
    "SELECT c.txid::text::bigint, c.seq, c.kind, p.container_id, p.device_id, p.reading_id, p.ts, p.lat, "
    "p.lon, p.speed_kmh, p.temperature_c, e.body, a.body, a.status, a.assignee, a.updated_ts FROM c "
    "LEFT JOIN positions p ON c.kind = 'position' AND p.container_id = c.key "
    "LEFT JOIN geofence_events e ON c.kind = 'geofence' AND e.event_id = c.key "
    "LEFT JOIN alerts a ON c.kind = 'alert' AND a.alert_id = c.key "
    "ORDER BY c.txid, c.seq"
)


def _change(row: tuple[Any, ...]) -> Change:
    (
        txid,
        seq,
        kind,
        box,
        device,
        reading,
        ts,
        lat,
        lon,
        speed,
        temp,
        event,
        alert,
        status,
        assignee,
        updated,
    ) = row
    cursor = format_cursor(int(txid), int(seq))
    if kind == "position":
        fix = Position(
            container_id=box,
            device_id=device,
            reading_id=reading,
            ts=ts.timestamp(),
            lat=lat,
            lon=lon,
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


class Changes(Connected):
    def change_head(self) -> str:
        rows = self._read(
            "reading the change horizon", "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        )
        return format_cursor(int(rows[0][0]), 0)

    def changes_after(self, cursor: str, limit: int = 500) -> list[Change]:
        txid, seq = parse_cursor(cursor)
        rows = self._read(
            f"reading changes after {cursor}", _CHANGES, {"t": str(txid), "s": seq, "n": max(1, limit)}
        )
        return [_change(r) for r in rows]
