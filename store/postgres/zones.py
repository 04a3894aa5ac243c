"""The geofences of the PostgreSQL store: zones saved by admins (PostGIS geometry) and their change log.

A mixin of ``PostgresStore``. The saved geometry is the zone's polygon, so the
``containers_in_zones`` view and any SQL zone query see an edit at once.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

from geofence.zones import Zone
from store.base import ZoneAction, ZoneChange
from store.postgres.connect import Conn, Connected
from store.zone_rows import check_operator, compact_json, feature_json, saving_what, zone_from_row, zone_row

_SELECT = (
    "SELECT zone_id, name, zone_type, dwell_limit_s, locode, ST_AsBinary(geom), properties::text FROM zones"
)

_UPSERT = (
    "INSERT INTO zones (zone_id, name, zone_type, dwell_limit_s, locode, geom, properties) "
    "VALUES (%s, %s, %s, %s, %s, ST_SetSRID(ST_GeomFromWKB(%s), 4326), %s::jsonb) "
    "ON CONFLICT (zone_id) DO UPDATE SET name = excluded.name, zone_type = excluded.zone_type, "
    "dwell_limit_s = excluded.dwell_limit_s, locode = excluded.locode, geom = excluded.geom, "
    "properties = excluded.properties"
)


class Zones(Connected):
    def zones(self) -> list[Zone]:
        rows = self._read("reading zones", _SELECT + " ORDER BY zone_id")
        return [zone_from_row(*row) for row in rows]

    def save_zones(self, zones: Sequence[Zone], operator: str, *, note: str = "") -> int:
        if not zones:
            return 0
        what = saving_what(zones)
        who = check_operator(operator, what)
        now, changed = time.time(), 0
        with self._write(what) as conn:
            ids = [z.zone_id for z in zones]
            # Locked, so two admins saving the same zone log one creation and one update, in order.
            old = {
                row[0]: row
                for row in conn.execute(_SELECT + " WHERE zone_id = ANY(%s) FOR UPDATE", [ids]).fetchall()
            }
            for zone in zones:
                row = zone_row(zone)
                before = old.get(zone.zone_id)
                if before is not None and zone_from_row(*before) == _reread(row):
                    continue
                conn.execute(_UPSERT, row)
                action = ZoneAction.CREATED if before is None else ZoneAction.UPDATED
                _log(conn, zone.zone_id, now, action, who, feature_json(zone), note)
                changed += 1
        return changed

    def delete_zone(self, zone_id: str, operator: str, *, note: str = "") -> bool:
        what = f"deleting zone {zone_id}"
        who = check_operator(operator, what)
        with self._write(what) as conn:
            old = conn.execute(_SELECT + " WHERE zone_id = %s FOR UPDATE", [zone_id]).fetchone()
            if old is None:
                return False
            conn.execute("DELETE FROM zones WHERE zone_id = %s", [zone_id])
            _log(conn, zone_id, time.time(), ZoneAction.DELETED, who, feature_json(zone_from_row(*old)), note)
        return True

    def zone_log(self, zone_id: str | None = None, limit: int = 500) -> list[ZoneChange]:
        where, params = ("WHERE zone_id = %s", [zone_id, limit]) if zone_id is not None else ("", [limit])
        rows = self._read(
            "reading the zone log",
            f"SELECT zone_id, ts, action, operator, feature::text, note FROM zone_changes {where} "
            "ORDER BY id DESC LIMIT %s",
            params,
        )
        return [
            ZoneChange(
                zone_id=z, ts=t.timestamp(), action=ZoneAction(a), operator=o, feature=compact_json(f), note=n
            )
            for z, t, a, o, f, n in rows
        ]


def _reread(row: tuple[str, str, str, float | None, str | None, bytes, str]) -> Zone:
    """The zone as it reads back once stored (JSON properties parsed): what an unchanged save compares to."""
    return zone_from_row(*row)


def _log(conn: Conn, zone_id: str, ts: float, action: ZoneAction, who: str, feature: str, note: str) -> None:
    conn.execute(
        "INSERT INTO zone_changes (zone_id, ts, action, operator, feature, note) "
        "VALUES (%s, %s, %s, %s, %s::jsonb, %s)",
        [zone_id, datetime.fromtimestamp(ts, UTC), action.value, who, feature, note],
    )
