"""The time layout of the big tables, generated as SQL: TimescaleDB or native partitioning.

``readings`` (tens of millions of rows) and ``geofence_events`` differ by path:

- ``timescale`` (the extension is installed, as in docker-compose's TimescaleDB
  image): both are hypertables; readings are compressed after a week (segmented
  by container, so a track decompresses one segment) and dropped after the
  retention period; ``zone_activity_hourly`` is a continuous aggregate.
- ``partitioned`` (plain PostgreSQL, e.g. Debian's, which has no TimescaleDB
  package): ``readings`` is range-partitioned by month, partitions are created
  ahead of the data (``month_partitions_sql``); ``zone_activity_hourly`` is a
  plain view with the same columns.

Both paths give the same tables, keys and views to the queries. Unique keys
include ``ts`` (both Timescale and partitioning require the time column in
them); a record's id and time never change, so uniqueness by id is kept.
Run ``python -m store.postgres.layout timescale`` to print the generated SQL.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

TIMESCALE, PARTITIONED = "timescale", "partitioned"
LAYOUTS = (TIMESCALE, PARTITIONED)

_INTERVAL = re.compile(r"^\d+ (minute|hour|day|week|month|year)s?$")

_READINGS = """CREATE TABLE readings (
    reading_id    text NOT NULL,
    container_id  text NOT NULL,
    device_id     text NOT NULL,
    seq           bigint NOT NULL,
    ts            timestamptz NOT NULL,
    lat           double precision NOT NULL,
    lon           double precision NOT NULL,
    speed_kmh     double precision,
    temperature_c double precision,
    shock_g       double precision,
    door_open     boolean,
    battery_pct   double precision,
    source        text NOT NULL,
    flag          smallint NOT NULL DEFAULT 0,  -- 0 in order, 1 late, 2 GPS jump
    body          bytea NOT NULL,               -- the record exactly as received, for auditors
    PRIMARY KEY (reading_id, ts)
)"""

_EVENTS = """CREATE TABLE geofence_events (
    event_id     text NOT NULL,
    kind         text NOT NULL,
    container_id text NOT NULL,
    zone_id      text NOT NULL,
    zone_type    text NOT NULL,
    ts           timestamptz NOT NULL,
    dwell_s      double precision,
    body         bytea NOT NULL,
    PRIMARY KEY (event_id, ts)
)"""

_EVENT_INDEXES = [
    "CREATE INDEX geofence_events_container_ts ON geofence_events (container_id, ts)",
    "CREATE INDEX geofence_events_zone_ts ON geofence_events (zone_id, ts)",
    "CREATE INDEX geofence_events_exits ON geofence_events (ts) WHERE kind = 'exit'",
]


def _activity_select(bucket: str) -> str:
    return (
        f"SELECT {bucket} AS bucket, zone_id, "
        "count(*) FILTER (WHERE kind = 'enter') AS entries, "
        "count(*) FILTER (WHERE kind = 'exit') AS exits, "
        "count(*) FILTER (WHERE kind = 'dwell_exceeded') AS overstays, "
        "count(*) FILTER (WHERE kind = 'crossed') AS crossings, "
        "sum(dwell_s) FILTER (WHERE kind = 'exit') AS dwell_total_s, "
        "max(dwell_s) FILTER (WHERE kind = 'exit') AS dwell_max_s "
        "FROM geofence_events GROUP BY 1, 2"
    )


# Occupancy over time = running balance of entries and exits; the same view on both paths.
_OCCUPANCY_VIEW = (
    "CREATE VIEW zone_occupancy_hourly AS SELECT bucket, zone_id, "
    "sum(entries - exits) OVER (PARTITION BY zone_id ORDER BY bucket) AS occupancy FROM zone_activity_hourly"
)


@dataclass(frozen=True)
class TimescalePolicy:
    """Chunking, compression and retention of readings (PostgreSQL interval literals).

    Retention is long on purpose: auditors prove trails years after the fact
    (customs record-keeping is typically 5 to 7 years).
    """

    readings_chunk: str = "1 day"
    events_chunk: str = "7 days"
    compress_after: str = "7 days"
    retain_for: str = "7 years"
    aggregate_refresh: str = "15 minutes"
    aggregate_lookback: str = "3 days"

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not _INTERVAL.match(value):
                raise ValueError(f"TimescalePolicy.{name}={value!r} is not an interval like '7 days'")


def timescale_sql(policy: TimescalePolicy = TimescalePolicy()) -> list[str]:
    """The statements that lay out readings and events on TimescaleDB, in order."""
    p = policy
    return [
        _READINGS,
        "CREATE INDEX readings_container_ts ON readings (container_id, ts DESC)",
        f"SELECT create_hypertable('readings', 'ts', chunk_time_interval => INTERVAL '{p.readings_chunk}', "
        "create_default_indexes => false)",
        # Unique-key columns must be in segmentby/orderby for compressed chunks to enforce them.
        "ALTER TABLE readings SET (timescaledb.compress, timescaledb.compress_segmentby = 'container_id', "
        "timescaledb.compress_orderby = 'ts DESC, reading_id')",
        f"SELECT add_compression_policy('readings', INTERVAL '{p.compress_after}')",
        f"SELECT add_retention_policy('readings', INTERVAL '{p.retain_for}')",
        _EVENTS,
        *_EVENT_INDEXES,
        "SELECT create_hypertable('geofence_events', 'ts', "
        f"chunk_time_interval => INTERVAL '{p.events_chunk}')",
        "CREATE MATERIALIZED VIEW zone_activity_hourly WITH (timescaledb.continuous) AS "
        + _activity_select("time_bucket(INTERVAL '1 hour', ts)")
        + " WITH NO DATA",
        f"SELECT add_continuous_aggregate_policy('zone_activity_hourly', "
        f"start_offset => INTERVAL '{p.aggregate_lookback}', end_offset => INTERVAL '1 hour', "
        f"schedule_interval => INTERVAL '{p.aggregate_refresh}')",
        _OCCUPANCY_VIEW,
    ]


def partitioned_sql() -> list[str]:
    """The statements that lay out readings and events with native monthly partitioning, in order."""
    return [
        _READINGS + " PARTITION BY RANGE (ts)",
        "CREATE INDEX readings_container_ts ON readings (container_id, ts)",
        _EVENTS,
        *_EVENT_INDEXES,
        "CREATE VIEW zone_activity_hourly AS " + _activity_select("date_trunc('hour', ts)"),
        _OCCUPANCY_VIEW,
    ]


def layout_sql(layout: str, policy: TimescalePolicy = TimescalePolicy()) -> list[str]:
    if layout == TIMESCALE:
        return timescale_sql(policy)
    if layout == PARTITIONED:
        return partitioned_sql()
    raise ValueError(f"unknown layout {layout!r}: expected one of {LAYOUTS}")


def months(first: datetime, last: datetime) -> list[tuple[int, int]]:
    """Every (year, month) from ``first``'s to ``last``'s, in UTC, inclusive."""
    a, b = first.astimezone(UTC), last.astimezone(UTC)
    out, (y, m) = [], (a.year, a.month)
    while (y, m) <= (b.year, b.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def partition_name(year: int, month: int) -> str:
    return f"readings_y{year:04d}m{month:02d}"


def month_partition_sql(year: int, month: int) -> str:
    """The monthly partition of readings holding [first of month, first of next month) UTC."""
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    return (
        f"CREATE TABLE IF NOT EXISTS {partition_name(year, month)} PARTITION OF readings "
        f"FOR VALUES FROM ('{year:04d}-{month:02d}-01 00:00:00+00') TO ('{ny:04d}-{nm:02d}-01 00:00:00+00')"
    )


if __name__ == "__main__":  # pragma: no cover - a reviewer's aid
    for statement in layout_sql(sys.argv[1] if len(sys.argv) > 1 else TIMESCALE):
        print(statement + ";\n")
