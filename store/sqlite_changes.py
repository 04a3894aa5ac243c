"""SQLite adapter, the live feed's half: changes after a cursor (``Repository.changes_after``).

The cursor is ``0.<seq>`` of the change log that migration 0005's triggers keep: SQLite commits
one writer at a time and the log's numbers never repeat, so a reader that sees number n has seen
every change numbered below it. One statement reads the log and what it points at (one snapshot).
Retention (``prune_changes``) deletes the oldest entries and records the newest deleted number in
``meta`` in the same transaction; readers check it after reading, so a prune is never a silent gap.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from cargotrail.errors import StoreError
from store.base import (
    PRUNED_THROUGH,
    Change,
    check_horizon,
    format_cursor,
    parse_cursor,
)
from store.change_rows import change_from_row

_CHANGES = (
    "SELECT c.seq, c.kind, p.container_id, p.device_id, p.reading_id, p.ts, p.lat, p.lon, p.speed_kmh, "
    "p.temperature_c, e.body, a.body, a.status, a.assignee, a.updated_ts FROM live_changes c "
    "LEFT JOIN positions p ON c.kind = 'position' AND p.container_id = c.key "
    "LEFT JOIN geofence_events e ON c.kind = 'geofence' AND e.event_id = c.key "
    "LEFT JOIN alerts a ON c.kind = 'alert' AND a.alert_id = c.key "
    "WHERE c.seq > ? ORDER BY c.seq LIMIT ?"
)


def _change(row: tuple[Any, ...]) -> Change:
    return change_from_row(format_cursor(0, int(row[0])), row[1:])


class SqliteChanges:
    """``change_head``, ``changes_after`` and ``prune_changes`` over ``self._db``."""

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
            horizon = self._db.execute("SELECT value FROM meta WHERE key = ?", (PRUNED_THROUGH,)).fetchone()
        except sqlite3.Error as exc:
            what = f"reading changes after {cursor}"
            raise StoreError(f"SQLite store {self.path}: {what} failed: {exc}") from exc
        check_horizon(cursor, None if horizon is None else bytes(horizon[0]))
        return [_change(r) for r in rows]

    def prune_changes(self, keep: int) -> int:
        if keep < 1:
            raise ValueError(f"prune_changes keeps at least 1 change, not {keep}")
        try:
            self._db.execute("BEGIN IMMEDIATE")  # the write lock first: a concurrent prune waits its turn
            with self._db:
                row = self._db.execute(
                    "SELECT seq FROM live_changes ORDER BY seq DESC LIMIT 1 OFFSET ?", (keep,)
                ).fetchone()
                if row is None:
                    return 0
                gone = self._db.execute("DELETE FROM live_changes WHERE seq <= ?", (row[0],)).rowcount
                self._db.execute(
                    "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (PRUNED_THROUGH, format_cursor(0, int(row[0])).encode()),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self.path}: pruning the change log failed: {exc}") from exc
        return max(gone, 0)
