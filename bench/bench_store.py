"""PostgreSQL store benchmark: sink vs bare binary COPY, and the users' queries at 10 M readings.

Needs the server `make pg-up` starts (or CARGOTRAIL_TEST_PG_URL). Prints figures and ratios; not a test.

    python bench/bench_store.py [--readings 10000000] [--sink-rows 200000] [--fresh]

The 10 M-reading data set is generated inside PostgreSQL (generate_series, two
sessions in parallel) into schema ``bench_10m`` and kept for the next run
(``--fresh`` rebuilds it); the set-up time is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import msgspec
import psycopg

from cargotrail.contract import make_container_id, reading_id
from cargotrail.contract.records import Reading
from store.base import AlertStatus
from store.buffered import BufferedStore
from store.postgres import PostgresStore
from store.postgres.copy import READINGS
from store.postgres.layout import month_partition_sql, months

URL = os.environ.get(
    "CARGOTRAIL_TEST_PG_URL", "postgresql://cargotrail:cargotrail@127.0.0.1:55432/cargotrail"
)
BATCH = 5000  # the runtime's default micro-batch
STEP = timedelta(minutes=15)  # report interval of the generated trackers


def drop(schema: str) -> None:
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(f"SET client_min_messages = warning; DROP SCHEMA IF EXISTS {schema} CASCADE")


def sink_vs_copy(n: int) -> None:
    start = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    boxes = [make_container_id("SNK", i) for i in range(1000)]
    readings = [
        Reading(
            device_id=f"TRK-{c}",
            container_id=boxes[c],
            seq=k,
            ts=start + timedelta(seconds=k * 60 + c),
            lat=51.0 + c * 1e-3,
            lon=4.0 + k * 1e-4,
            speed_kmh=12.5,
            temperature_c=-18.0,
        )
        for k in range(n // len(boxes))
        for c in range(len(boxes))
    ]
    ids = [reading_id(r.device_id, r.seq) for r in readings]
    for s in ("bench_sink", "bench_copy"):
        drop(s)
    sink = BufferedStore(PostgresStore(URL, schema="bench_sink"))
    PostgresStore(URL, schema="bench_copy").close()  # the same table, indexes and partitions
    t = time.perf_counter()
    for i in range(0, len(readings), BATCH):
        with sink.unit_of_work():
            sink.write_readings(readings[i : i + BATCH], ids[i : i + BATCH])
    sink_s = time.perf_counter() - t
    enc = msgspec.json.Encoder()
    rows = [
        (
            i,
            r.container_id,
            r.device_id,
            r.seq,
            r.ts,
            r.lat,
            r.lon,
            r.speed_kmh,
            r.temperature_c,
            r.shock_g,
            r.door_open,
            r.battery_pct,
            r.source,
            0,
            enc.encode(r),
        )
        for r, i in zip(readings, ids, strict=True)
    ]
    with psycopg.connect(URL, options="-c search_path=bench_copy,public") as conn:
        t = time.perf_counter()
        for i in range(0, len(rows), BATCH):
            with (
                conn.transaction(),
                conn.cursor().copy(f"COPY readings ({READINGS.names}) FROM STDIN (FORMAT BINARY)") as cp,
            ):
                cp.set_types([kind for _, kind in READINGS.columns])
                for row in rows[i : i + BATCH]:
                    cp.write_row(row)
        copy_s = time.perf_counter() - t
    assert sink.counts()["readings"] == len(readings)
    sink.close()
    for s in ("bench_sink", "bench_copy"):
        drop(s)
    print(
        f"sink (Reading objects -> staged COPY -> upsert + positions), {len(readings):,} rows in "
        f"{BATCH}-row micro-batches: {len(readings) / sink_s:,.0f} rows/s"
    )
    print(
        f"bare binary COPY of the same rows (prepared tuples, no conflict check): "
        f"{len(rows) / copy_s:,.0f} "
        "rows/s"
    )
    print(f"ratio sink / bare COPY: {copy_s / sink_s:.2f} (target >= 0.5)")


GEN_READINGS = """
INSERT INTO readings (reading_id, container_id, device_id, seq, ts, lat, lon, speed_kmh, temperature_c,
                      source, flag, body)
SELECT md5(c || ':' || k), (%(boxes)s::text[])[c], 'TRK-' || c, k, ts, lat, lon, 18.0, -18.5, 'bench', 0,
       convert_to(json_build_object('type', 'reading', 'device_id', 'TRK-' || c, 'container_id',
         (%(boxes)s::text[])[c], 'seq', k, 'ts', to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
         'lat', lat, 'lon', lon, 'speed_kmh', 18.0, 'temperature_c', -18.5, 'source', 'bench')::text, 'UTF8')
FROM generate_series(%(c0)s::int, %(c1)s::int) AS c, generate_series(0, %(per)s::int - 1) AS k,
     LATERAL (SELECT %(t0)s::timestamptz + k * interval '15 minutes' AS ts,
                     10 + (c %% 50) + sin(k / 40.0) AS lat, 100 + (c / 50) + k * 0.001 AS lon) AS p
"""
GEN_ALERTS = """
INSERT INTO alerts (alert_id, kind, severity, severity_rank, container_id, ts, lat, lon, summary, status,
                    body)
SELECT 'al' || n, 'shock', sev, rank, box, ts, 1, 2, 'shock ' || n,
       CASE WHEN n %% 10 = 0 THEN 'open' ELSE 'resolved' END,
       convert_to(json_build_object('type', 'alert', 'alert_id', 'al' || n, 'kind', 'shock', 'severity', sev,
         'container_id', box, 'device_id', 'TRK-1',
         'ts', to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'lat', 1, 'lon', 2,
         'explanation', json_build_object('rule', 'shock', 'summary', 'shock ' || n))::text, 'UTF8')
FROM generate_series(1, %(n)s::int) AS n,
     LATERAL (SELECT (ARRAY['critical','high','medium','low'])[n %% 4 + 1] AS sev, n %% 4 AS rank,
                     (%(boxes)s::text[])[n %% %(nb)s + 1] AS box,
                     %(t0)s::timestamptz + n * interval '20 seconds' AS ts) a
"""
GEN_EVENTS = """
INSERT INTO geofence_events (event_id, kind, container_id, zone_id, zone_type, ts, dwell_s, body)
SELECT 'ev' || v || kind, kind, box, zone, 'terminal', ts, dwell,
       convert_to(json_build_object('type', 'geofence', 'event_id', 'ev' || v || kind, 'kind', kind,
         'container_id', box, 'device_id', 'TRK-1', 'zone_id', zone, 'zone_type', 'terminal',
         'ts', to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'lat', 1, 'lon', 2,
         'reading_id', 'r', 'dwell_s', dwell)::text, 'UTF8')
FROM generate_series(1, %(n)s::int) AS v,
     LATERAL (SELECT (%(boxes)s::text[])[v %% %(nb)s + 1] AS box, 'Z' || (v %% 40) AS zone,
                     3600.0 * (1 + v %% 24) AS d, %(t0)s::timestamptz + v * interval '30 seconds' AS t) b,
     LATERAL (VALUES ('enter', t, NULL::float8), ('exit', t + d * interval '1 second', d))
       AS e(kind, ts, dwell)
WHERE kind = 'enter' OR v %% 7 <> 0
"""
GEN_PROOFS = """
INSERT INTO proofs (record_id, batch_id, leaf_index, body)
SELECT reading_id, 'batch-' || (seq / 1000), seq %% 1000,
       convert_to(json_build_object('type', 'proof', 'record_id', reading_id,
         'batch_id', 'batch-' || (seq / 1000),
         'leaf_hash', md5(reading_id) || md5(reading_id), 'leaf_index', seq %% 1000, 'tree_size', 1000,
         'path', json_build_array(md5('a'), md5('b')))::text, 'UTF8')
FROM readings WHERE container_id = ANY(%(boxes)s)
"""
DERIVED = [
    "INSERT INTO positions (container_id, device_id, reading_id, ts, lat, lon, speed_kmh, temperature_c) "
    "SELECT l.container_id, l.device_id, l.reading_id, l.ts, l.lat, l.lon, l.speed_kmh, l.temperature_c "
    "FROM unnest(%(boxes)s::text[]) AS b, LATERAL (SELECT * FROM readings r WHERE r.container_id = b "
    "ORDER BY ts DESC LIMIT 1) l",
    "INSERT INTO zone_presence SELECT DISTINCT ON (container_id, zone_id) container_id, zone_id, zone_type, "
    "kind = 'enter', ts FROM geofence_events ORDER BY container_id, zone_id, ts DESC",
]


def build(n: int, fresh: bool) -> tuple[PostgresStore, list[str], datetime]:
    containers = 2000
    per = n // containers
    boxes = [make_container_id("BEN", i) for i in range(containers)]
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    if fresh:
        drop("bench_10m")
    store = PostgresStore(URL, schema="bench_10m", statement_timeout_s=3600)
    if store.get_meta("bench:readings") == str(n).encode():
        print(f"set-up: reusing schema bench_10m with {n:,} readings (--fresh rebuilds it)")
        return store, boxes, t0
    drop("bench_10m")
    store.close()
    store = PostgresStore(URL, schema="bench_10m", statement_timeout_s=3600)
    started = time.perf_counter()
    opts = "-c search_path=bench_10m,public -c synchronous_commit=off"
    with psycopg.connect(URL, options=opts, autocommit=True) as conn:
        for y, m in months(t0, t0 + STEP * per):
            conn.execute(month_partition_sql(y, m))

    def chunk(c0: int) -> None:
        with psycopg.connect(URL, options=opts, autocommit=True) as conn:
            conn.execute(GEN_READINGS, {"boxes": boxes, "c0": c0, "c1": c0 + 99, "per": per, "t0": t0})

    with ThreadPoolExecutor(2) as pool:
        for i, _ in enumerate(pool.map(chunk, range(1, containers + 1, 100))):
            print(f"  readings: {(i + 1) * 100 * per:,} ({time.perf_counter() - started:.0f} s)", flush=True)
    with psycopg.connect(URL, options=opts, autocommit=True) as conn:
        args = {"boxes": boxes, "nb": containers, "t0": t0}
        conn.execute(GEN_ALERTS, {**args, "n": 200_000})
        conn.execute(GEN_EVENTS, {**args, "n": 100_000})
        conn.execute(GEN_PROOFS, {"boxes": boxes[:200]})
        for statement in DERIVED:
            conn.execute(statement, {"boxes": boxes})
        conn.execute("VACUUM ANALYZE")
    store.put_meta("bench:readings", str(n).encode())
    counts = store.counts()
    print(
        f"set-up: {counts['readings']:,} readings, {counts['alerts']:,} alerts "
        f"({counts['open_alerts']:,} open), "
        f"{counts['geofence_events']:,} geofence events, {counts['proofs']:,} proofs "
        f"in {time.perf_counter() - started:.0f} s"
    )
    return store, boxes, t0


def timed(name: str, target_ms: float | None, fn: Callable[[], object]) -> None:
    fn()  # warm: plans prepared, pages cached, as on a busy control-room server
    runs = []
    for _ in range(7):
        t = time.perf_counter()
        out = fn()
        runs.append((time.perf_counter() - t) * 1000)
    ms = statistics.median(runs)
    size = len(out) if isinstance(out, list | tuple) else out
    verdict = (
        ""
        if target_ms is None
        else f"  (target <= {target_ms:g} ms: {'ok' if ms <= target_ms else 'MISSED'})"
    )
    print(f"{name:<52} {ms:8.1f} ms  median of 7, {size} rows{verdict}")


def queries(store: PostgresStore, boxes: list[str], t0: datetime) -> None:
    week0 = (t0 + timedelta(days=20)).timestamp()
    day = 86_400.0

    def audit() -> int:
        recs = store.records_for(boxes[7], week0, week0 + day)
        return sum(store.proof(r.record_id) is not None for r in recs) + len(recs)

    timed("latest position of every container", 100, store.latest_positions)
    timed(
        "a week's track of one container (<= 2000 points)",
        300,
        lambda: store.track(boxes[42], week0, week0 + 7 * day),
    )
    timed(
        "a week's track, downsampled to 200 points",
        300,
        lambda: store.track(boxes[42], week0, week0 + 7 * day, 200),
    )
    timed("open alerts by severity and age (500)", 100, lambda: store.alerts(status=AlertStatus.OPEN))
    timed("zone occupancy now", None, store.zone_occupancy)
    timed("dwell statistics per zone over a week", None, lambda: store.dwell_stats(week0, week0 + 7 * day))
    timed("audit: a container-day's records + each proof", None, audit)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--readings", type=int, default=10_000_000)
    ap.add_argument("--sink-rows", type=int, default=200_000)
    ap.add_argument("--fresh", action="store_true")
    args = ap.parse_args()
    sink_vs_copy(args.sink_rows)
    store, boxes, t0 = build(args.readings, args.fresh)
    queries(store, boxes, t0)
    store.close()


if __name__ == "__main__":
    main()
