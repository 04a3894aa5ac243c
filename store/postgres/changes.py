"""The live feed's queries on PostgreSQL: changes after a cursor (``Repository.changes_after``).

The cursor is ``<txid>.<seq>`` of the change log that migration 0005's triggers keep. A number is
taken before its transaction commits, so a change numbered 7 may become visible after one numbered
8: a read returns only entries of transactions below the snapshot's xmin (every one of them has
ended), in (transaction id, number) order, so nothing can later appear before a cursor already
handed out. A long transaction anywhere on the server delays the feed (it holds xmin back); it
never makes it skip. One statement reads the log and what it points at (one snapshot).

Retention (``prune_changes``) deletes the oldest entries of ended transactions and records the newest
deleted cursor in ``meta`` in the same transaction; readers read it after the changes (a later
snapshot), so a prune that removed any of them is always noticed.
"""

from __future__ import annotations

from typing import Any

from store.base import (
    PRUNED_THROUGH,
    Change,
    check_horizon,
    format_cursor,
    parse_cursor,
)
from store.change_rows import change_from_row
from store.postgres.connect import Connected

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
_CUT = (
    "SELECT l.txid::text::bigint, l.seq FROM live_changes l "
    "WHERE l.txid < pg_snapshot_xmin(pg_current_snapshot()) "
    "ORDER BY l.txid DESC, l.seq DESC OFFSET %s LIMIT 1"
)
_HORIZON = "SELECT value FROM meta WHERE key = %s"
_PRUNE_LOCK = "SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':live_changes.prune'))"


def _change(row: tuple[Any, ...]) -> Change:
    return change_from_row(format_cursor(int(row[0]), int(row[1])), row[2:])


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
        horizon = self._read("reading the change log's horizon", _HORIZON, [PRUNED_THROUGH])
        check_horizon(cursor, bytes(horizon[0][0]) if horizon else None)
        return [_change(r) for r in rows]

    def prune_changes(self, keep: int) -> int:
        if keep < 1:
            raise ValueError(f"prune_changes keeps at least 1 change, not {keep}")
        with self._write("pruning the change log") as conn:
            conn.execute(_PRUNE_LOCK)  # one pruner at a time: the horizon only moves forward
            conn.execute("SET LOCAL lock_timeout = '5s'")  # a row a writer holds: give up, prune later
            cut = conn.execute(_CUT, [keep]).fetchone()
            if cut is None:
                return 0
            txid, seq = int(cut[0]), int(cut[1])
            gone = conn.execute(
                "DELETE FROM live_changes WHERE (txid, seq) <= (%s::text::xid8, %s)", [str(txid), seq]
            ).rowcount
            conn.execute(
                "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [PRUNED_THROUGH, format_cursor(txid, seq).encode()],
            )
        return max(gone, 0)
