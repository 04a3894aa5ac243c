"""Binary COPY with idempotency: COPY into a per-session staging table, then INSERT ... ON CONFLICT.

COPY alone cannot skip rows that already exist, and a replayed micro-batch
(after a crash or an outage) must change nothing. So each write streams its
rows in binary into a temporary table of the same columns (created on first
use in the session, emptied at commit), then moves them with one
``INSERT ... SELECT ... ON CONFLICT DO NOTHING``: the unique keys are the
deterministic ids. Derived tables (latest positions, zone presence) are
updated from the same staged rows before the stage is emptied.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from store.postgres.connect import Conn


@dataclass(frozen=True)
class CopySpec:
    """A target table, the columns written (with their PostgreSQL types, for binary COPY)."""

    table: str
    columns: tuple[tuple[str, str], ...]

    @property
    def stage(self) -> str:
        return f"_stage_{self.table}"

    @property
    def names(self) -> str:
        return ", ".join(name for name, _ in self.columns)


def copy_upsert(
    conn: Conn, spec: CopySpec, rows: Iterable[Sequence[object]], then: Sequence[str] = ()
) -> int:
    """Write ``rows`` to ``spec.table`` skipping ids already stored, run ``then``; return rows added.

    Call inside a transaction (the stage is emptied by TRUNCATE here and at
    commit by ``ON COMMIT DELETE ROWS``).
    """
    defs = ", ".join(f"{name} {kind}" for name, kind in spec.columns)
    with conn.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {spec.stage} ({defs}) ON COMMIT DELETE ROWS")
        with cur.copy(f"COPY {spec.stage} ({spec.names}) FROM STDIN (FORMAT BINARY)") as cp:
            cp.set_types([kind for _, kind in spec.columns])
            for row in rows:
                cp.write_row(row)
        cur.execute(
            f"INSERT INTO {spec.table} ({spec.names}) SELECT {spec.names} FROM {spec.stage} "
            "ON CONFLICT DO NOTHING"
        )
        added = max(cur.rowcount, 0)
        for statement in then:
            cur.execute(statement)
        cur.execute(f"TRUNCATE {spec.stage}")
    return added


READINGS = CopySpec(
    "readings",
    (
        ("reading_id", "text"),
        ("container_id", "text"),
        ("device_id", "text"),
        ("seq", "int8"),
        ("ts", "timestamptz"),
        ("lat", "float8"),
        ("lon", "float8"),
        ("speed_kmh", "float8"),
        ("temperature_c", "float8"),
        ("shock_g", "float8"),
        ("door_open", "bool"),
        ("battery_pct", "float8"),
        ("source", "text"),
        ("flag", "int2"),
        ("body", "bytea"),
    ),
)
EVENTS = CopySpec(
    "geofence_events",
    (
        ("event_id", "text"),
        ("kind", "text"),
        ("container_id", "text"),
        ("zone_id", "text"),
        ("zone_type", "text"),
        ("ts", "timestamptz"),
        ("dwell_s", "float8"),
        ("body", "bytea"),
    ),
)
ALERTS = CopySpec(
    "alerts",
    (
        ("alert_id", "text"),
        ("kind", "text"),
        ("severity", "text"),
        ("severity_rank", "int2"),
        ("container_id", "text"),
        ("ts", "timestamptz"),
        ("lat", "float8"),
        ("lon", "float8"),
        ("summary", "text"),
        ("body", "bytea"),
    ),
)
PROOFS = CopySpec(
    "proofs", (("record_id", "text"), ("batch_id", "text"), ("leaf_index", "int4"), ("body", "bytea"))
)
RFID = CopySpec(
    "rfid_reads",
    (
        ("rfid_id", "text"),
        ("container_id", "text"),
        ("reader_id", "text"),
        ("read_point", "text"),
        ("biz_step", "text"),
        ("ts", "timestamptz"),
        ("body", "bytea"),
    ),
)
PLANS = CopySpec(
    "plans",
    (
        ("plan_id", "text"),
        ("container_id", "text"),
        ("origin", "text"),
        ("destination", "text"),
        ("container_class", "text"),
        ("seen_ts", "float8"),
        ("body", "bytea"),
    ),
)
DEAD_LETTERS = CopySpec(
    "dead_letters",
    (
        ("dedupe_key", "text"),
        ("ts", "float8"),
        ("source", "text"),
        ("position", "int4"),
        ("record", "text"),
        ("field", "text"),
        ("reason", "text"),
        ("raw", "text"),
    ),
)

# The newest in-order fix per container moves the position forward, never back.
POSITIONS_FROM_STAGE = (
    "INSERT INTO positions (container_id, device_id, reading_id, ts, lat, lon, speed_kmh, temperature_c) "
    "SELECT DISTINCT ON (container_id) container_id, device_id, reading_id, ts, lat, lon, speed_kmh, "
    "temperature_c FROM _stage_readings ORDER BY container_id, ts DESC, reading_id DESC "
    "ON CONFLICT (container_id) DO UPDATE SET device_id = excluded.device_id, "
    "reading_id = excluded.reading_id, ts = excluded.ts, lat = excluded.lat, lon = excluded.lon, "
    "speed_kmh = excluded.speed_kmh, temperature_c = excluded.temperature_c "
    "WHERE excluded.ts > positions.ts"
)

# The latest event per (container, zone) decides inside/outside; at equal times leaving wins.
PRESENCE_FROM_STAGE = (
    "INSERT INTO zone_presence (container_id, zone_id, zone_type, inside, ts) "
    "SELECT DISTINCT ON (container_id, zone_id) container_id, zone_id, zone_type, "
    "kind IN ('enter', 'dwell_exceeded'), ts FROM _stage_geofence_events "
    "ORDER BY container_id, zone_id, ts DESC, kind IN ('exit', 'crossed') DESC "
    "ON CONFLICT (container_id, zone_id) DO UPDATE SET inside = excluded.inside, ts = excluded.ts, "
    "zone_type = excluded.zone_type "
    "WHERE excluded.ts > zone_presence.ts OR (excluded.ts = zone_presence.ts AND NOT excluded.inside)"
)
