"""SQLite adapter, the geofences half: zones saved by admins in the control tower, and their change log.

A mixin of ``SqliteStore`` (store/sqlite.py), which owns the connection and its transactions.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from geofence.zones import Zone
from store.base import ZoneAction, ZoneChange
from store.sqlite_reads import SqliteReads
from store.zone_rows import check_operator, feature_json, saving_what, zone_from_row, zone_row

_COLUMNS = "zone_id, name, zone_type, dwell_limit_s, locode, geom, properties"

_UPSERT = (
    f"INSERT INTO zones ({_COLUMNS}) VALUES (?,?,?,?,?,?,?) ON CONFLICT (zone_id) DO UPDATE "
    "SET name=excluded.name, zone_type=excluded.zone_type, dwell_limit_s=excluded.dwell_limit_s, "
    "locode=excluded.locode, geom=excluded.geom, properties=excluded.properties"
)


class SqliteZones(SqliteReads):
    if TYPE_CHECKING:

        def _tx(self, what: str) -> AbstractContextManager[sqlite3.Connection]: ...

    def zones(self) -> list[Zone]:
        return [zone_from_row(*row) for row in self._all(f"SELECT {_COLUMNS} FROM zones ORDER BY zone_id")]

    def save_zones(self, zones: Sequence[Zone], operator: str, *, note: str = "") -> int:
        if not zones:
            return 0
        what = saving_what(zones)
        who = check_operator(operator, what)
        now, changed = time.time(), 0
        with self._tx(what) as db:
            for zone in zones:
                row = zone_row(zone)
                old = db.execute(
                    f"SELECT {_COLUMNS} FROM zones WHERE zone_id = ?", (zone.zone_id,)
                ).fetchone()
                if old is not None and (*old[:5], bytes(old[5]), old[6]) == row:
                    continue
                db.execute(_UPSERT, row)
                action = ZoneAction.CREATED if old is None else ZoneAction.UPDATED
                self._log(db, zone.zone_id, now, action, who, feature_json(zone), note)
                changed += 1
        return changed

    def delete_zone(self, zone_id: str, operator: str, *, note: str = "") -> bool:
        what = f"deleting zone {zone_id}"
        who = check_operator(operator, what)
        with self._tx(what) as db:
            old = db.execute(f"SELECT {_COLUMNS} FROM zones WHERE zone_id = ?", (zone_id,)).fetchone()
            if old is None:
                return False
            db.execute("DELETE FROM zones WHERE zone_id = ?", (zone_id,))
            self._log(
                db, zone_id, time.time(), ZoneAction.DELETED, who, feature_json(zone_from_row(*old)), note
            )
        return True

    def zone_log(self, zone_id: str | None = None, limit: int = 500) -> list[ZoneChange]:
        where, args = ("WHERE zone_id = ?", (zone_id, limit)) if zone_id is not None else ("", (limit,))
        rows = self._all(
            f"SELECT zone_id, ts, action, operator, feature, note FROM zone_changes {where} "
            "ORDER BY id DESC LIMIT ?",
            args,
        )
        return [
            ZoneChange(zone_id=z, ts=t, action=ZoneAction(a), operator=o, feature=f, note=n)
            for z, t, a, o, f, n in rows
        ]

    @staticmethod
    def _log(
        db: sqlite3.Connection, zone_id: str, ts: float, action: ZoneAction, who: str, feature: str, note: str
    ) -> None:
        db.execute(
            "INSERT INTO zone_changes (zone_id, ts, action, operator, feature, note) VALUES (?,?,?,?,?,?)",
            (zone_id, ts, action.value, who, feature, note),
        )
