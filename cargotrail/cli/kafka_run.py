"""``cargotrail run --runtime kafka``: the seeded simulation through Faust workers on Kafka.

Steps: a fresh data directory and zones file (as the embedded run), a fresh
topic namespace (``<prefix>.run-<id>``: runs never read each other's records),
N worker processes, the simulator published step by step (records, then a
tick), a final tick, the sink until every partition is done and drained, then
the workers stopped and the namespace deleted.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from cargotrail.cli.run import STEP_S, RunRequest
from cargotrail.kafka.errors import KafkaError
from cargotrail.kafka.feed import TelemetryFeed
from cargotrail.kafka.producer import RecordProducer
from cargotrail.kafka.sink import Sink
from cargotrail.kafka.topics import Namespace, delete_namespace, ensure_topics
from cargotrail.settings import Settings
from cargotrail.wiring import TRUTH_FILE, ZONES_FILE, open_ledger, open_store, prepare_data_dir
from services.simulator import SimConfig, Simulator, write_ground_truth
from services.simulator.scoring import score


def simulator_for(settings: Settings, req: RunRequest) -> Simulator:
    """The same simulator ``cargotrail run`` builds for ``req``; writes the zones the workers load."""
    prepare_data_dir(settings, fresh=True)
    config = SimConfig(
        containers=req.containers,
        seed=req.seed,
        anomalies_per_kind=req.anomalies_per_kind,
        horizon_s=req.duration_s,
        out_of_order_share=req.out_of_order_share,
        max_delay_s=min(500.0, settings.lateness_s * 0.8),
    )
    if req.start is not None:
        config = dataclasses.replace(config, start=req.start)
    sim = Simulator(config)
    (settings.data_dir / ZONES_FILE).write_text(json.dumps(sim.zones_geojson()))
    return sim


def publish(sim: Simulator, duration_s: float, producer: RecordProducer, topic: str) -> int:
    """Every step of the simulator, then the final tick; return the readings sent (all acknowledged)."""
    feed = TelemetryFeed(producer, topic)
    sent, last = 0, sim.config.start.timestamp()
    for batch in sim.batches(duration_s, STEP_S):
        last = batch.watermark.timestamp()
        feed.publish(batch.readings, batch.rfid, batch.plans, source_time=last)
        sent += len(batch.readings)
    feed.tick(last, final=True)
    producer.flush(120.0)
    return sent


class Workers:
    """Worker processes (``cargotrail worker``) for one namespace; killable one by one."""

    def __init__(
        self, settings: Settings, ns: Namespace, n: int, *, log_dir: Path, tickless: bool = False
    ) -> None:
        self.argv = [
            sys.executable,
            "-m",
            "cargotrail.cli.main",
            "worker",
            *(["--tickless"] if tickless else []),
        ]
        self.env = {
            **os.environ,
            "CARGOTRAIL_DATA_DIR": str(settings.data_dir),
            "CARGOTRAIL_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
            "CARGOTRAIL_KAFKA_PREFIX": ns.prefix,
            "CARGOTRAIL_KAFKA_PARTITIONS": str(ns.partitions),
            "CARGOTRAIL_LATENESS_S": str(settings.lateness_s),
            "CARGOTRAIL_ANCHOR_BATCH_RECORDS": str(settings.anchor_batch_records),
            "CARGOTRAIL_ANCHOR_BATCH_SECONDS": str(settings.anchor_batch_seconds),
            "CARGOTRAIL_MAX_FUTURE_S": str(settings.max_future_s),
            "CARGOTRAIL_BATCH_SIZE": str(settings.batch_size),
        }
        self.log_dir = log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        self.procs: list[subprocess.Popen[bytes]] = []
        for _ in range(n):
            self.start()

    def start(self) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"worker-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=log)
        self.procs.append(proc)
        return proc

    def check_alive(self) -> None:
        """``KafkaError`` when no worker is left running (the sink would wait for nothing)."""
        if self.procs and all(p.poll() is not None for p in self.procs):
            raise KafkaError(f"every worker exited; see the logs in {self.log_dir}")

    def stop(self, timeout_s: float = 20.0) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for p in self.procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)


def run_on_kafka(
    settings: Settings, req: RunRequest, *, workers: int, progress: bool = True
) -> dict[str, Any]:
    sim = simulator_for(settings, req)
    ns = Namespace(f"{settings.kafka_prefix}.run-{uuid.uuid4().hex[:8]}", settings.kafka_partitions)
    ensure_topics(settings.kafka_bootstrap, ns)
    started = time.perf_counter()
    procs = Workers(settings, ns, workers, log_dir=settings.data_dir / "workers")
    store = open_store(settings)
    sink = Sink(settings.kafka_bootstrap, ns, store, open_ledger(settings))
    try:
        sent = publish(sim, req.duration_s, RecordProducer(settings.kafka_bootstrap), ns.telemetry)
        counters = sink.run_until_done(ns.partitions, check=procs.check_alive)
    finally:
        sink.close()
        procs.stop()
        delete_namespace(settings.kafka_bootstrap, ns)
    elapsed = time.perf_counter() - started
    truths = sim.ground_truth()
    write_ground_truth(settings.data_dir / TRUTH_FILE, truths)
    alerts = [row.alert for row in store.alerts(limit=10_000_000)]
    report = {
        "runtime": "kafka",
        "workers": workers,
        "partitions": ns.partitions,
        "containers": req.containers,
        "seed": req.seed,
        "readings": sent,
        "stored": store.counts(),
        "anchored_batches": counters.anchored_batches,
        "wall_s": round(elapsed, 2),
        "readings_per_s": round(sent / elapsed) if elapsed else None,
        "detection": score(alerts, truths),
        "data_dir": str(settings.data_dir),
    }
    store.close()
    return report
