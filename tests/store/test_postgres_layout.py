"""The generated layouts: TimescaleDB SQL (checked as text and by PostgreSQL's own parser) and partitions."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from cargotrail.contract import make_container_id, reading_id
from store.postgres.layout import (
    TimescalePolicy,
    month_partition_sql,
    months,
    partitioned_sql,
    timescale_sql,
)
from tests.conftest import reading

BOX = make_container_id("HLX", 5)


def test_timescale_sql_makes_hypertables_with_compression_retention_and_a_continuous_aggregate():
    sql = timescale_sql(TimescalePolicy(compress_after="3 days", retain_for="5 years"))
    text = "\n".join(sql)
    assert "SELECT create_hypertable('readings', 'ts', chunk_time_interval => INTERVAL '1 day'" in text
    assert "create_hypertable('geofence_events', 'ts'" in text
    # the unique key (reading_id, ts) must be in segmentby/orderby for compressed chunks
    assert (
        "compress_segmentby = 'container_id'" in text and "compress_orderby = 'ts DESC, reading_id'" in text
    )
    assert "add_compression_policy('readings', INTERVAL '3 days')" in text
    assert "add_retention_policy('readings', INTERVAL '5 years')" in text
    cagg = next(s for s in sql if "zone_activity_hourly WITH (timescaledb.continuous)" in s)
    assert "time_bucket(INTERVAL '1 hour', ts)" in cagg and cagg.endswith("WITH NO DATA")
    assert "add_continuous_aggregate_policy('zone_activity_hourly'" in text
    assert sql.index(next(s for s in sql if s.startswith("CREATE TABLE readings"))) < sql.index(
        next(s for s in sql if "create_hypertable('readings'" in s)
    )
    assert "PARTITION BY RANGE" not in text


def test_both_layouts_offer_the_same_views():
    for sql in (timescale_sql(), partitioned_sql()):
        text = "\n".join(sql)
        assert "zone_activity_hourly" in text and "CREATE VIEW zone_occupancy_hourly" in text
    assert "PARTITION BY RANGE (ts)" in partitioned_sql()[0]


def test_a_policy_refuses_anything_but_an_interval():
    with pytest.raises(ValueError, match="retain_for"):
        TimescalePolicy(retain_for="1 year'); DROP TABLE readings; --")


def test_month_arithmetic_crosses_years():
    a, b = datetime(2025, 11, 30, 23, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    assert months(a, b) == [(2025, 11), (2025, 12), (2026, 1), (2026, 2)]
    assert "FROM ('2025-12-01 00:00:00+00') TO ('2026-01-01 00:00:00+00')" in month_partition_sql(2025, 12)


@pytest.mark.integration
def test_the_timescale_sql_parses_in_postgresql(pg_url):
    """Debian has no TimescaleDB: PL/pgSQL's validator runs PostgreSQL's parser over every statement."""
    body = "\n".join(f"{s};" for s in timescale_sql())
    with psycopg.connect(pg_url, connect_timeout=5) as conn:
        check = "CREATE FUNCTION pg_temp.timescale_layout() RETURNS void LANGUAGE plpgsql AS "
        conn.execute(f"{check} $x$ BEGIN\n{body}\nEND $x$")
        with pytest.raises(psycopg.errors.SyntaxError):  # the check does catch a broken statement
            conn.execute(
                "CREATE FUNCTION pg_temp.broken() RETURNS void LANGUAGE plpgsql AS "
                "$x$ BEGIN CREATE TABLE readings (ts timestamptz,); END $x$"
            )
        conn.rollback()


@pytest.mark.integration
def test_readings_land_in_monthly_partitions_made_ahead_and_on_demand(pg_store):
    store = pg_store()
    assert store.layout == "partitioned"
    now = datetime.now(UTC)
    ahead = (now.year + (now.month + 1) // 12, (now.month + 1) % 12 + 1)  # two months on
    partitions = store._read(
        "partitions",
        "SELECT relname FROM pg_class WHERE relispartition AND relnamespace = current_schema()::regnamespace",
    )
    names = {n for (n,) in partitions}
    assert (
        f"readings_y{now.year:04d}m{now.month:02d}" in names
        and "readings_y{:04d}m{:02d}".format(*ahead) in names
    )
    old = [
        reading(BOX, seq=1, minutes=0).__replace__(ts=datetime(2019, 12, 31, 23, 59, tzinfo=UTC)),
        reading(BOX, seq=2, minutes=0).__replace__(ts=datetime(2020, 1, 1, tzinfo=UTC)),
    ]
    assert store.write_readings(old, [reading_id("TRK-1", 1), reading_id("TRK-1", 2)]) == 2
    where = dict(store._read("routing", "SELECT seq, tableoid::regclass::text FROM readings"))
    assert where == {1: "readings_y2019m12", 2: "readings_y2020m01"}
