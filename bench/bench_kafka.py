"""The Kafka runtime's throughput and latency, against a raw loop and Quix Streams (issue 5).

Same broker (CARGOTRAIL_TEST_KAFKA, default deploy/kafka's 127.0.0.1:19092), same
input: the simulator's 10,000-container fleet, readings keyed by container on a
4-partition telemetry topic. Each contender does the same job: decode, validate,
``Processors`` (reorder, jumps, geofences, rules), produce every output record.

(a) raw: one confluent-kafka consume -> ``PartitionJob`` -> produce loop, chunks of 5,000: the limit;
(b) faust: one ``cargotrail worker --tickless`` process (stream.take_events micro-batches);
(c) quix: Quix Streams, the same job per record (it has no micro-batch API).

Throughput (reorder lateness 0, so that every reading is released) is the rate
at which output records appear, from the first one (group joins not counted).
Latency: readings produced at 5,000/s stamped with the wall clock, one in 50 a
shock; p50/p99 from the reading's ts to
its alert arriving on the alerts topic (the sink's store write adds ~1 chunk).

Run: ``.venv/bin/python bench/bench_kafka.py [readings]`` (needs ``pip install -e .[kafka,bench]``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from confluent_kafka import Consumer, TopicPartition

from cargotrail.cli.kafka_run import Workers
from cargotrail.contract.records import Alert, Reading
from cargotrail.kafka.codec import decode_input, decode_output, encode
from cargotrail.kafka.producer import RecordProducer
from cargotrail.kafka.topics import Namespace, delete_namespace, ensure_topics
from cargotrail.settings import Settings
from geofence.zones import zones_from_geojson
from services.simulator import SimConfig, Simulator
from streams.processors.pipeline import Processors
from streams.runtimes.kafka.emit import OutputWriter
from streams.runtimes.kafka.partition import PartitionJob

BOOT = os.environ.get("CARGOTRAIL_TEST_KAFKA", "127.0.0.1:19092")
CONTAINERS, PARTS, RATE = 10_000, 4, 5_000


def fleet(n_readings: int) -> tuple[list[Reading], dict]:
    sim = Simulator(SimConfig(containers=CONTAINERS, seed=5, anomalies_per_kind=5, horizon_s=3 * 86400))
    out: list[Reading] = []
    for batch in sim.batches(3 * 86400, 900.0):
        out.extend(batch.readings)
        if len(out) >= n_readings:
            break
    return out[:n_readings], sim.zones_geojson()


def job(zones: list, p: int, lateness: float) -> PartitionJob:
    procs = Processors(zones, lateness_s=lateness)
    return PartitionJob(
        procs, stream=f"bench-p{p}", max_future_s=1e9, anchor_records=10_000, anchor_seconds=5.0
    )


def output_count(topic: str) -> int:
    c = Consumer({"bootstrap.servers": BOOT, "group.id": "bench-count"})
    try:
        return sum(c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(PARTS))
    finally:
        c.close()


def rate_until(topic: str, n: int, timeout_s: float = 900) -> float:
    """Outputs per second on ``topic`` from the first output until ``n`` (after group joins)."""
    deadline, first = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        got = output_count(topic)
        if got and first is None:
            first = (time.monotonic(), got)
        if got >= n and first is not None:
            dt = time.monotonic() - first[0]
            return (got - first[1]) / dt if dt > 0 else float("inf")
        time.sleep(0.2)
    raise TimeoutError(f"{topic}: {output_count(topic)} of {n} outputs after {timeout_s}s")


def fill(ns: Namespace, readings: list[Reading]) -> None:
    prod = RecordProducer(BOOT)
    for r in readings:
        prod.send_record(ns.telemetry, r.container_id, r)
    prod.flush(300)


def raw_loop(ns: Namespace, zones: list, n: int, stop: threading.Event) -> None:
    c = Consumer({"bootstrap.servers": BOOT, "group.id": f"{ns.prefix}-raw", "auto.offset.reset": "earliest"})
    c.subscribe([ns.telemetry])
    writer, jobs = OutputWriter(BOOT, ns), {p: job(zones, p, 0.0) for p in range(PARTS)}
    while not stop.is_set():
        msgs = [m for m in c.consume(5000, 0.2) if m.error() is None]
        touched = set()
        for m in msgs:
            part = m.partition() or 0
            jobs[part].push(decode_input(m.value() or b"", m.headers()))
            touched.add(part)
        for p in touched:
            if (out := jobs[p].close_chunk()) is not None:
                writer.write(p, f"raw-p{p}", out)
        writer.flush()
    c.close()


def quix(ns: Namespace, zones: list, stop: threading.Event) -> None:
    from quixstreams import Application, message_context

    app = Application(broker_address=BOOT, consumer_group=f"{ns.prefix}-quix", auto_offset_reset="earliest")
    topic = app.topic(ns.telemetry, value_deserializer="bytes", key_deserializer="bytes")
    writer, jobs = OutputWriter(BOOT, ns), {p: job(zones, p, 0.0) for p in range(PARTS)}

    def handle(value: bytes, key: object, ts: int, headers: object) -> None:
        p = message_context().partition
        jobs[p].push(decode_input(value, headers))  # type: ignore[arg-type]
        if (out := jobs[p].close_chunk()) is not None:
            writer.write(p, f"quix-p{p}", out)

    sdf = app.dataframe(topic).update(handle, metadata=True)

    def stopper() -> None:
        stop.wait()
        writer.flush()
        app.stop()

    threading.Thread(target=stopper, daemon=True).start()
    app.run(sdf)


def contender(name: str, readings: list[Reading], zones_doc: dict, zones: list) -> float:
    ns = Namespace(f"bench.{name}-{uuid.uuid4().hex[:6]}", PARTS)
    ensure_topics(BOOT, ns)
    fill(ns, readings)
    stop, procs = threading.Event(), None
    try:
        if name == "faust":
            procs = faust_worker(ns, zones_doc, lateness=0.0)
        else:
            target = raw_loop if name == "raw" else quix
            args = (ns, zones, len(readings), stop) if name == "raw" else (ns, zones, stop)
            threading.Thread(target=target, args=args, daemon=True).start()
        return rate_until(ns.outputs["records"], len(readings))
    finally:
        stop.set()
        if procs:
            procs.stop()
        time.sleep(1)
        delete_namespace(BOOT, ns)


def faust_worker(ns: Namespace, zones_doc: dict, *, lateness: float) -> Workers:
    d = Path(tempfile.mkdtemp(prefix="bench-kafka-"))
    (d / "zones.geojson").write_text(json.dumps(zones_doc))
    s = dataclasses.replace(
        Settings(), data_dir=d, kafka_bootstrap=BOOT, lateness_s=lateness, max_future_s=1e9
    )
    return Workers(s, ns, 1, log_dir=d / "workers", tickless=True)


def latency(readings: list[Reading], zones_doc: dict, seconds: float = 20.0) -> tuple[float, float, int]:
    """p50, p99 (s) reading ts -> alert on the alerts topic, Faust worker, readings at RATE per second."""
    ns = Namespace(f"bench.lat-{uuid.uuid4().hex[:6]}", PARTS)
    ensure_topics(BOOT, ns)
    procs = faust_worker(ns, zones_doc, lateness=0.2)
    c = Consumer({"bootstrap.servers": BOOT, "group.id": f"{ns.prefix}-lat", "auto.offset.reset": "earliest"})
    c.subscribe([ns.outputs["alerts"]])
    lat: list[float] = []
    done = threading.Event()

    def collect() -> None:
        while not done.is_set():
            for m in c.consume(1000, 0.1):
                if m.error() is not None:
                    continue
                a = decode_output(m.value(), m.headers())
                if isinstance(a, Alert) and a.kind.value == "shock":
                    lat.append(time.time() - a.ts.timestamp())

    t = threading.Thread(target=collect, daemon=True)
    t.start()
    time.sleep(8)  # let the worker join its group before the clock starts
    prod, start, sent = RecordProducer(BOOT, linger_ms=1), time.time(), 0
    seqs: dict[str, int] = {}
    while (now := time.time()) - start < seconds:
        due = int((now - start) * RATE)
        while sent < due:
            base = readings[sent % len(readings)]
            seq = seqs[base.device_id] = seqs.get(base.device_id, 10**6) + 1
            shock = 9.0 if sent % 50 == 0 else None
            r = dataclasses.replace(base, ts=datetime.now(UTC), seq=seq, shock_g=shock)
            prod.send(ns.telemetry, r.container_id.encode(), encode(r))
            sent += 1
        prod._p.poll(0)
        time.sleep(0.002)
    prod.flush(60)
    time.sleep(5)
    done.set()
    t.join(5)
    c.close()
    procs.stop()
    delete_namespace(BOOT, ns)
    lat.sort()
    if not lat:
        return float("nan"), float("nan"), 0
    return lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))], len(lat)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    readings, zones_doc = fleet(n)
    zones = zones_from_geojson(zones_doc)
    print(
        f"input: {len(readings):,} readings from {CONTAINERS:,} containers, {len(zones)} zones, broker {BOOT}"
    )
    rates = {}
    for name in ("raw", "faust", "quix"):
        rates[name] = contender(name, readings, zones_doc, zones)
        print(f"  ({name}) {rates[name]:>10,.0f} readings/s")
    print(
        f"  ratios: faust/raw = {rates['faust'] / rates['raw']:.2f} (target >= 0.5), "
        f"faust/quix = {rates['faust'] / rates['quix']:.2f} (target >= 1)"
    )
    p50, p99, k = latency(readings, zones_doc)
    print(
        f"  latency at {RATE:,}/s through Faust: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms "
        f"over {k} alerts (target p99 <= 1 s)"
    )


if __name__ == "__main__":
    main()
