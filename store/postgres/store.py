"""``PostgresStore``: the repository on PostgreSQL (TimescaleDB when present) with PostGIS zones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import shapely

from geofence.zones import Zone
from store.base import Position
from store.postgres.changes import Changes
from store.postgres.connect import Connected
from store.postgres.errors import boundary
from store.postgres.inbox import Inbox
from store.postgres.layout import PARTITIONED, TimescalePolicy, month_partition_sql, months
from store.postgres.migrate import migrate
from store.postgres.reads import position_of
from store.postgres.writes import PARTITIONS_LOCK, Writes
from store.postgres.zones import Zones


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


class PostgresStore(Changes, Zones, Inbox, Writes):
    """The Repository on PostgreSQL 15+ with PostGIS; see ``store.base.Repository`` for the contract.

    On open: connect (``StoreUnavailable`` if the server cannot be reached in
    ``connect_timeout_s``), apply pending migrations under an advisory lock,
    and with the partitioned layout create the monthly partitions of readings
    for this month and ``months_ahead`` more (writes create any other month
    they need). ``schema`` keeps everything in that schema (created if
    missing; tests use one per test), else the role's default (``public``).

    Beyond the protocol: ``put_zones`` loads geofences into the PostGIS
    ``zones`` table and ``containers_in_zone`` asks PostGIS who is inside now.
    Errors: ``StoreUnavailable`` when the server is unreachable or times out
    (retry later), ``StoreError`` otherwise, both naming the ids involved.
    """

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        layout: str | None = None,
        policy: TimescalePolicy = TimescalePolicy(),
        months_ahead: int = 2,
        min_size: int = 1,
        max_size: int = 8,
        connect_timeout_s: float = 5.0,
        statement_timeout_s: float = 60.0,
        pool_timeout_s: float = 5.0,
    ):
        super().__init__(
            url,
            schema=schema,
            min_size=min_size,
            max_size=max_size,
            connect_timeout_s=connect_timeout_s,
            statement_timeout_s=statement_timeout_s,
            pool_timeout_s=pool_timeout_s,
        )
        try:
            with boundary("migrating the schema", self.where), self._pool.connection() as conn:
                self.layout = migrate(conn, schema=schema, layout=layout, policy=policy)
                if self.layout == PARTITIONED:
                    now = datetime.now(UTC)
                    years, month0 = divmod(now.month - 1 + months_ahead, 12)
                    ahead = datetime(now.year + years, month0 + 1, 1, tzinfo=UTC)
                    with conn.transaction():
                        conn.execute(PARTITIONS_LOCK)  # another process may be creating them too
                        for y, m in months(now, ahead):
                            conn.execute(month_partition_sql(y, m))
        except BaseException:
            Connected.close(self)
            raise

    def put_zones(self, zones: Sequence[Zone]) -> int:
        """Insert or replace geofences in the PostGIS ``zones`` table (by zone id); return how many."""
        rows = [
            (z.zone_id, z.name, z.zone_type.value, z.dwell_limit_s, z.locode, shapely.to_wkb(z.geometry))
            for z in zones
        ]
        with self._write(f"saving {len(rows)} zones") as conn, conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO zones VALUES (%s, %s, %s, %s, %s, ST_SetSRID(ST_GeomFromWKB(%s), 4326)) "
                "ON CONFLICT (zone_id) DO UPDATE SET name = excluded.name, zone_type = excluded.zone_type, "
                "dwell_limit_s = excluded.dwell_limit_s, locode = excluded.locode, geom = excluded.geom",
                rows,
            )
        return len(rows)

    def containers_in_zone(self, zone_id: str) -> list[Position]:
        """Latest positions inside zone ``zone_id`` (boundary included), by PostGIS on the GiST indexes."""
        rows = self._read(
            f"reading containers in zone {zone_id}",
            "SELECT p.container_id, p.device_id, p.reading_id, p.ts, p.lat, p.lon, p.speed_kmh, "
            "p.temperature_c FROM zones z JOIN positions p ON ST_Intersects(z.geom, p.geom) "
            "WHERE z.zone_id = %s "
            "ORDER BY p.container_id",
            [zone_id],
        )
        return [position_of(row) for row in rows]
