"""Crash safety: workers killed with SIGKILL mid-run, and a broker restart mid-produce."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaException, TopicPartition

from cargotrail.cli.kafka_run import Workers, simulator_for
from cargotrail.cli.run import STEP_S
from cargotrail.kafka.feed import TelemetryFeed
from cargotrail.kafka.producer import RecordProducer
from cargotrail.kafka.sink import Sink
from cargotrail.kafka.topics import Namespace, delete_namespace, ensure_topics
from cargotrail.wiring import open_ledger, open_store
from tests.conftest import reading
from tests.streams.kafka.conftest import REQUEST, kafka_settings, stored

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
KILLS = 4
BAD_EVERY = 25  # steps between undecodable records


def test_killing_workers_repeatedly_loses_and_duplicates_nothing(embedded, bootstrap, tmp_path):
    settings = kafka_settings(tmp_path, bootstrap, partitions=4)
    sim = simulator_for(settings, REQUEST)
    ns = Namespace(f"test.crash-{uuid.uuid4().hex[:8]}", 4)
    ensure_topics(bootstrap, ns)
    workers = Workers(settings, ns, 2, log_dir=tmp_path / "workers")
    store = open_store(settings)
    sink = Sink(bootstrap, ns, store, open_ledger(settings))
    result: dict[str, object] = {}

    def drain() -> None:
        try:
            result["counters"] = sink.run_until_done(ns.partitions, idle_timeout_s=180)
        except Exception as exc:  # reported by the main thread
            result["error"] = exc

    sinking = threading.Thread(target=drain)
    sinking.start()
    producer = RecordProducer(bootstrap)
    feed = TelemetryFeed(producer, ns.telemetry)
    batches = list(sim.batches(REQUEST.duration_s, STEP_S))
    kill_at = {len(batches) * (k + 1) // (KILLS + 1) for k in range(KILLS)}
    checkpoints = f"{ns.app_id}-checkpoints-changelog"  # the Faust table's, where workers resume
    killed = bad = progress = 0  # progress: checkpoint records written when the last kill came
    try:
        for i, batch in enumerate(batches):
            if i % BAD_EVERY == 1:  # an undecodable record: dead-lettered once, whoever replays it
                producer.send(ns.telemetry, b"BADU1234567", b'{"type": "reading", "seq": "x"}')
                bad += 1
            feed.publish(batch.readings, batch.rfid, batch.plans, source_time=batch.watermark.timestamp())
            producer.flush()
            if i in kill_at:  # SIGKILL a live worker (alternating), start a replacement at once
                victim = [p for p in workers.procs if p.poll() is None][killed % 2]
                # ...one that holds partitions, once a checkpoint was written since the last kill, so
                # that each kill lands mid-processing rather than on a worker still starting up.
                # Counted from the last kill, not from now: the batches sent since then make the
                # workers checkpoint, so the wait ends even if they are idle by now.
                log = tmp_path / "workers" / f"worker-{workers.procs.index(victim)}.log"
                wait_for(
                    partial(busy, log, bootstrap, checkpoints, progress),
                    f"{log.name} to take partitions and process",
                )
                progress = written(bootstrap, checkpoints)
                os.kill(victim.pid, signal.SIGKILL)
                victim.wait(10)
                workers.start()
                killed += 1
        feed.tick(batches[-1].watermark.timestamp(), final=True)
        producer.flush()
        sinking.join(300)
    finally:
        workers.stop()
        sink.close()
        delete_namespace(bootstrap, ns)
    assert not sinking.is_alive(), "the sink did not finish"
    assert "error" not in result, result.get("error")
    assert killed == KILLS
    logs = " ".join(f.read_text(errors="replace") for f in (tmp_path / "workers").glob("*.log"))
    # the survivors and replacements really rebuilt partitions by replaying records
    # partitions were taken over from a checkpoint a killed worker had written
    resumed = [
        int(n) for n in re.findall(r"rebuilding at [a-z ]+: offsets \[0, \d+\), emitting from (\d+)", logs)
    ]
    assert any(n > 0 for n in resumed), resumed
    kafka = stored(tmp_path)
    assert kafka.readings == embedded.readings  # every reading processed, with the same flag
    assert kafka.events == embedded.events  # nothing lost; ids are keys, so nothing doubled
    assert kafka.alerts == embedded.alerts
    assert kafka.proofs == embedded.proofs  # every record anchored...
    assert kafka.batch_sizes == len(kafka.proofs)  # ...exactly once
    # each bad record (and each rejected reading) dead-lettered once, despite the replays
    assert bad and kafka.dead_letters == embedded.dead_letters + bad


def test_broker_restart_during_a_produce_run_loses_no_reading(bootstrap):
    ns = Namespace(f"test.restart-{uuid.uuid4().hex[:8]}", 2)
    ensure_topics(bootstrap, ns)
    producer = RecordProducer(bootstrap, delivery_timeout_s=180)
    sent = 0

    def send(n: int) -> None:
        nonlocal sent
        for _ in range(n):
            r = reading(seq=sent, minutes=sent / 60)
            producer.send_record(ns.telemetry, r.container_id, r)
            sent += 1

    env = {**os.environ, "KAFKA_PORT": bootstrap.rsplit(":", 1)[1]}
    try:
        send(20_000)
        subprocess.run(["bash", str(ROOT / "deploy/kafka/stop.sh")], env=env, check=True, timeout=60)
        send(20_000)  # queued in librdkafka while the broker is down
        subprocess.run(["bash", str(ROOT / "deploy/kafka/start.sh")], env=env, check=True, timeout=120)
        send(20_000)
        producer.flush(180)
        assert count(bootstrap, ns.telemetry, 2) == sent == 60_000
    finally:
        delete_namespace(bootstrap, ns)


def busy(log: Path, bootstrap: str, checkpoints: str, since: int) -> bool:
    """The worker logging to ``log`` holds partitions, and checkpoints were written past ``since``."""
    return "rebuilding at" in log.read_text(errors="replace") and written(bootstrap, checkpoints) > since


def written(bootstrap: str, changelog: str) -> int:
    """Records in the 4-partition ``changelog`` (0 until Faust created it)."""
    try:
        return count(bootstrap, changelog, 4)
    except KafkaException:
        return 0


def wait_for(done: Callable[[], bool], what: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, f"waited {timeout_s:.0f} s for {what}"
        time.sleep(0.2)


def count(bootstrap: str, topic: str, partitions: int) -> int:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "count", "enable.auto.commit": False})
    try:
        return sum(
            high - low
            for p in range(partitions)
            for low, high in [c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)]
        )
    finally:
        c.close()
