"""The database goes away for 30 s in the middle of a run: nothing lost, nothing twice, no crash."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
import pytest

from cargotrail.settings import Settings
from cargotrail.simulated import simulated_stack
from cargotrail.wiring import prepare_data_dir
from services.simulator import SimConfig
from store.buffered import BufferedStore
from tests.store.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration
OUTAGE_S = 30.0
CUT_AT_BATCH = 30
TABLES = ("readings", "rfid_reads", "geofence_events", "alerts", "plans", "dead_letters", "anchors", "proofs")


def run(url: str, direct: str, data_dir: Path, outage: TcpProxy | None = None) -> tuple[dict, BufferedStore]:
    """A seeded one-day run of 60 containers into PostgreSQL at ``url``; ``outage``: cut it for 30 s.

    ``direct`` reaches the same database without the proxy: to make the run's schema, count, and drop it.
    """
    schema = f"outage_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(direct, connect_timeout=5, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        return _run(url, direct, schema, data_dir, outage)
    finally:
        with psycopg.connect(direct, connect_timeout=5, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _run(
    url: str, direct: str, schema: str, data_dir: Path, outage: TcpProxy | None
) -> tuple[dict, BufferedStore]:
    scoped = f"{url}?options={quote(f'-c search_path={schema},public')}"
    settings = Settings(data_dir=data_dir, store_url=scoped, anchor_batch_records=500)
    prepare_data_dir(settings, fresh=True)
    stack = simulated_stack(
        settings, SimConfig(containers=60, seed=11, anomalies_per_kind=1, horizon_s=86_400)
    )
    restored = None
    for n, batch in enumerate(stack.simulator.batches(86_400, 900.0)):
        if outage is not None and n == CUT_AT_BATCH:
            outage.cut()
            restored = threading.Timer(OUTAGE_S, outage.restore)
            restored.start()
        if restored is not None and restored.is_alive():
            time.sleep(0.2)  # keep micro-batches arriving while the database is away
        stack.clock[0] = batch.watermark.timestamp()
        stack.runtime.ingest(batch.readings, batch.rfid, batch.plans, source_time=stack.clock[0])
    stack.runtime.finish()  # waits, retrying with backoff, until the buffered micro-batches are written
    if restored is not None:
        restored.join()
    store = stack.runtime.store
    with psycopg.connect(direct, connect_timeout=5) as conn:
        conn.execute(f"SET search_path = {schema}, public")
        facts: dict = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}
        facts["distinct_readings"] = conn.execute(
            "SELECT count(DISTINCT reading_id) FROM readings"
        ).fetchall()[0][0]
        facts["roots"] = [r for (r,) in conn.execute("SELECT root FROM anchors ORDER BY first_ts, batch_id")]
        facts["batcher"] = conn.execute("SELECT value FROM meta WHERE key LIKE 'anchoring:%'").fetchall()
    store.close()
    return facts, store


def test_a_30_s_outage_loses_nothing_and_writes_nothing_twice(pg_url, tmp_path):
    target = urlsplit(pg_url)
    expected, calm = run(pg_url, pg_url, tmp_path / "ref")
    assert calm.outages == [] and expected["readings"] > 1000 and len(expected["roots"]) > 5

    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    try:
        through = pg_url.replace(f"{target.hostname}:{target.port}", f"127.0.0.1:{proxy.port}")
        got, store = run(through, pg_url, tmp_path / "cut", proxy)
    finally:
        proxy.close()

    assert got == expected  # every record once: same counts, same Merkle roots, same batcher position
    assert got["readings"] == got["distinct_readings"]
    (outage,) = store.outages  # reported, not crashed
    assert outage.ended is not None and outage.retries >= 1 and outage.most_batches_buffered > 1
    assert store.buffered_batches == 0
