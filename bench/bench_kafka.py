"""The Kafka runtime's throughput and latency, against a raw loop and Quix Streams (issue 5).

Same broker (CARGOTRAIL_TEST_KAFKA, default deploy/kafka's 127.0.0.1:19092), same
input: the simulator's 10,000-container fleet on a 4-partition telemetry topic,
published as the feed publishes it (``Readings`` batches per partition, each
reading on its container's partition). Each contender does the same job:
decode, validate, ``Processors`` (reorder, jumps, geofences, rules), produce
every output record.

(a) raw: one confluent-kafka consume -> ``PartitionJob`` -> produce loop, chunks of 5,000: the limit;
    like every leg, in a process of its own (the bench process holds the input, a GC burden);
(b) faust: one ``cargotrail worker --tickless`` process (stream.take_events micro-batches), which
    also keeps its changelogs (checkpoints, zones) that (a) and (c) skip;
(c) quix: Quix Streams, one micro-batch per Kafka record (it has no batch API), keeping each
    touched container's geofence state in Quix State (RocksDB + changelog), as (b) keeps its
    zones table; "quix-plain" is the same without state, for reference. Quix Streams pins
    confluent-kafka < 2.13 and cargotrail needs >= 2.16, so it runs in its own interpreter:
    CARGOTRAIL_QUIX_PYTHON (default ~/.cache/cargotrail/quix-venv/bin/python), the virtualenv
    ``make quix-venv`` builds (deploy/quix.mk; ``make bench`` does it).

Throughput (reorder lateness 0, so that every reading is released) is the rate
at which output records appear, from the first one (group joins not counted).
The legs run in ``--rounds`` rounds (default 3), each round in another order,
and each leg's median is reported: on a shared 2-core machine one run of a leg
varies by 20-30%, more than the differences measured.
Latency: readings stamped with the wall clock, produced at 5,000/s in 20 ms
feed batches, one in 50 a shock; p50/p99 from the reading's ts to its alert
committed in the store by the sink. Steady state: over the 30 s after a warm-up
of ``WARMUP_S`` at the same rate, which carries each container's first reading
(10,000 containers first seen within 2 s, each costing a full zone look-up and
new state); the warm-up's own figures are printed beside.

Run: ``.venv/bin/python bench/bench_kafka.py [readings] [--rounds N] [--latency-only]``
(needs ``pip install -e .[kafka]``); ``--latency-only`` runs just the latency leg.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from confluent_kafka import Consumer, TopicPartition

from cargotrail.contract.records import Alert, Reading
from cargotrail.kafka.codec import decode_input_salvaging, decode_output
from cargotrail.kafka.feed import TelemetryFeed
from cargotrail.kafka.producer import RecordProducer
from cargotrail.kafka.topics import Namespace, delete_namespace, ensure_topics
from cargotrail.settings import Settings
from geofence.zones import zones_from_geojson
from services.simulator import SimConfig, Simulator
from streams.processors.pipeline import Processors
from streams.runtimes.kafka.emit import OutputWriter
from streams.runtimes.kafka.partition import PartitionJob

BOOT = os.environ.get("CARGOTRAIL_TEST_KAFKA", "127.0.0.1:19092")
QUIX_PYTHON = os.environ.get(
    "CARGOTRAIL_QUIX_PYTHON", str(Path.home() / ".cache/cargotrail/quix-venv/bin/python")
)  # `make quix-venv` builds it (deploy/quix.mk)
ROOT = Path(__file__).resolve().parents[1]
CONTAINERS, PARTS, RATE = 10_000, 4, 5_000
WARMUP_S = 6.0  # the fleet's first pass (2 s at RATE) and the seconds after it
CHUNK = Settings().batch_size  # readings per micro-batch at most, as in the worker


def fleet(n_readings: int) -> tuple[list[Reading], dict[str, Any]]:
    sim = Simulator(SimConfig(containers=CONTAINERS, seed=5, anomalies_per_kind=5, horizon_s=3 * 86400))
    out: list[Reading] = []
    for batch in sim.batches(3 * 86400, 900.0):
        out.extend(batch.readings)
        if len(out) >= n_readings:
            break
    return out[:n_readings], sim.zones_geojson()


def job(zones: list[Any], p: int, lateness: float) -> PartitionJob:
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
    TelemetryFeed(prod, ns.telemetry).send_readings(readings)
    prod.flush(300)


def raw_leg(prefix: str, zones_file: str) -> None:
    """(a), in its own process like the others (this one holds the input: its GC would tax (a))."""
    zones = zones_from_geojson(json.loads(Path(zones_file).read_text()))
    raw_loop(Namespace(prefix, PARTS), zones, threading.Event())  # until SIGTERM


def raw_loop(ns: Namespace, zones: list[Any], stop: threading.Event) -> None:
    c = Consumer({"bootstrap.servers": BOOT, "group.id": f"{ns.prefix}-raw", "auto.offset.reset": "earliest"})
    c.subscribe([ns.telemetry])
    writer, jobs = OutputWriter(BOOT, ns), {p: job(zones, p, 0.0) for p in range(PARTS)}
    while not stop.is_set():
        msgs = [m for m in c.consume(5000, 0.2) if m.error() is None]
        touched = set()
        for m in msgs:
            part = m.partition() or 0
            record, _errors = decode_input_salvaging(m.value() or b"", m.headers())
            if record is not None:
                jobs[part].push(record)
            touched.add(part)
            if jobs[part].pending >= CHUNK and (out := jobs[part].close_chunk()) is not None:
                writer.write(part, f"raw-p{part}", out, source_offset=0)  # same bound as the worker's
        for p in touched:
            if (out := jobs[p].close_chunk()) is not None:
                writer.write(p, f"raw-p{p}", out, source_offset=0)
        writer.flush()
    c.close()


def quix_leg(prefix: str, zones_file: str, mode: str) -> None:
    """(c), in its own interpreter (``--quix-leg``): Quix Streams' ``app.run`` wants the main thread.

    ``mode`` "state": like the Faust worker, each touched container's geofence state also goes to
    a changelog-backed store (Quix State: RocksDB + changelog topic); "plain": outputs only.
    """
    from quixstreams import Application, message_context

    ns = Namespace(prefix, PARTS)
    zones = zones_from_geojson(json.loads(Path(zones_file).read_text()))
    app = Application(
        broker_address=BOOT,
        consumer_group=f"{prefix}-quix",
        auto_offset_reset="earliest",
        state_dir=tempfile.mkdtemp(prefix="bench-quix-state-"),  # not ./state
    )
    topic = app.topic(ns.telemetry, value_deserializer="bytes", key_deserializer="bytes")
    writer, jobs = OutputWriter(BOOT, ns), {p: job(zones, p, 0.0) for p in range(PARTS)}

    def run(value: bytes, headers: Any) -> tuple[int, PartitionJob, Any]:
        p = message_context().partition
        record, _errors = decode_input_salvaging(value, headers)
        if record is not None:
            jobs[p].push(record)
        out = jobs[p].close_chunk()
        if out is not None:
            writer.write(p, f"quix-p{p}", out, source_offset=0)
        return p, jobs[p], out

    def plain(value: bytes, key: object, ts: int, headers: Any) -> None:
        run(value, headers)

    def with_state(value: bytes, key: object, ts: int, headers: Any, state: Any) -> None:
        _p, j, out = run(value, headers)
        if out is not None:
            cids = {r.container_id for r, _, _ in out.readings}
            for cid, zs in j.processors.tracker.snapshot(cids).items():
                state.set(cid, msgspec.json.encode(zs).decode())

    sdf = app.dataframe(topic)
    if mode == "state":
        sdf.update(with_state, metadata=True, stateful=True)
    else:
        sdf.update(plain, metadata=True)
    app.run()  # until SIGTERM
    writer.flush()


def contender(name: str, readings: list[Reading], zones_doc: dict[str, Any]) -> float:
    ns = Namespace(f"bench.{name}-{uuid.uuid4().hex[:6]}", PARTS)
    ensure_topics(BOOT, ns)
    fill(ns, readings)
    stoppers: list[Any] = []
    try:
        if name == "faust":
            procs = faust_worker(ns, zones_doc, lateness=0.0)
            stoppers.append(procs.stop)
        else:
            zones_file = Path(tempfile.mkdtemp(prefix="bench-leg-")) / "zones.geojson"
            zones_file.write_text(json.dumps(zones_doc))
            if name == "raw":
                argv = [sys.executable, __file__, "--raw-leg", ns.prefix, str(zones_file)]
            else:
                mode = "state" if name == "quix" else "plain"
                argv = [QUIX_PYTHON, __file__, "--quix-leg", ns.prefix, str(zones_file), mode]
            # The Quix interpreter has cargotrail's dependencies, not cargotrail: this checkout is.
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
            proc = subprocess.Popen(argv, env=env)
            stoppers.append(lambda: stop_process(proc))
        return rate_until(ns.outputs["records"], len(readings))
    finally:
        for s in stoppers:
            s()
        time.sleep(1)
        delete_namespace(BOOT, ns)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def faust_worker(ns: Namespace, zones_doc: dict[str, Any], *, lateness: float) -> Any:
    from cargotrail.cli.kafka_run import Workers

    d = Path(tempfile.mkdtemp(prefix="bench-kafka-"))
    (d / "zones.geojson").write_text(json.dumps(zones_doc))
    s = dataclasses.replace(
        Settings(), data_dir=d, kafka_bootstrap=BOOT, lateness_s=lateness, max_future_s=1e9
    )
    return Workers(s, ns, 1, log_dir=d / "workers", tickless=True)


def sink_probe(prefix: str, data_dir: str, ready: Any, stop: Any, results: Any) -> None:
    """The sink in its own process (as deployed): store the outputs; send back each shock alert's
    latency, its reading's ts to the moment the store committed it."""
    from cargotrail.kafka.sink import Sink
    from cargotrail.wiring import open_ledger, open_store

    settings = dataclasses.replace(Settings(), data_dir=Path(data_dir))
    lat: list[tuple[float, float]] = []  # (reading ts, latency)

    def stored(alerts: list[Alert]) -> None:
        now = time.time()
        lat.extend((a.ts.timestamp(), now - a.ts.timestamp()) for a in alerts if a.kind.value == "shock")

    sink = Sink(BOOT, Namespace(prefix, PARTS), open_store(settings), open_ledger(settings), on_stored=stored)
    ready.set()
    while not stop.is_set():
        sink.poll_once(0.05)
    sink.close()
    results.send(lat)


def percentiles(xs: list[float]) -> tuple[float, float]:
    xs = sorted(xs)
    if not xs:
        return float("nan"), float("nan")
    return xs[len(xs) // 2], xs[min(len(xs) - 1, int(len(xs) * 0.99))]


@dataclasses.dataclass
class Latency:
    """p50/p99 (s) of shock alerts: reading ts -> stored (-> alerts topic), after and in the warm-up."""

    stored: tuple[float, float]
    on_topic: tuple[float, float]
    alerts: int
    warmup_stored: tuple[float, float]
    warmup_alerts: int

    @classmethod
    def split(
        cls, stored: list[tuple[float, float]], on_topic: list[tuple[float, float]], cut: float
    ) -> Latency:
        steady = [lat for ts, lat in stored if ts >= cut]
        warm = [lat for ts, lat in stored if ts < cut]
        return cls(
            percentiles(steady),
            percentiles([lat for ts, lat in on_topic if ts >= cut]),
            len(steady),
            percentiles(warm),
            len(warm),
        )


def watch_alerts(ns: Namespace, stop: threading.Event, lat: list[tuple[float, float]]) -> None:
    """The worker's share: reading ts -> the alert's record appended to the alerts topic (its timestamp)."""
    c = Consumer(
        {"bootstrap.servers": BOOT, "group.id": f"{ns.prefix}-watch", "auto.offset.reset": "earliest"}
    )
    c.subscribe([ns.outputs["alerts"]])
    while not stop.is_set():
        for m in c.consume(1000, 0.1):
            if m.error() is None:
                a = decode_output(m.value() or b"", m.headers())
                if isinstance(a, Alert) and a.kind.value == "shock":
                    lat.append((a.ts.timestamp(), m.timestamp()[1] / 1000 - a.ts.timestamp()))
    c.close()


def latency(readings: list[Reading], zones_doc: dict[str, Any], seconds: float = 30.0) -> Latency:
    """Reading ts -> alert committed in the store (and -> alert on its topic, the worker's share);
    Faust worker, readings at RATE per second for ``WARMUP_S`` then ``seconds``."""
    ns = Namespace(f"bench.lat-{uuid.uuid4().hex[:6]}", PARTS)
    ensure_topics(BOOT, ns)
    procs = faust_worker(ns, zones_doc, lateness=0.2)
    mp = multiprocessing.get_context("spawn")
    ready, stop = mp.Event(), mp.Event()
    receive, send = mp.Pipe(duplex=False)
    data_dir = tempfile.mkdtemp(prefix="bench-lat-")
    sink = mp.Process(target=sink_probe, args=(ns.prefix, data_dir, ready, stop, send))
    sink.start()
    on_topic: list[tuple[float, float]] = []
    watching = threading.Event()
    threading.Thread(target=watch_alerts, args=(ns, watching, on_topic), daemon=True).start()
    try:
        ready.wait(60)
        time.sleep(10)  # let the worker and the sink join their groups before the clock starts
        prod = RecordProducer(BOOT, linger_ms=2)
        feed = TelemetryFeed(prod, ns.telemetry)
        start, sent = time.time(), 0
        seqs: dict[str, int] = {}
        while (now := time.time()) - start < WARMUP_S + seconds:
            due, step = int((now - start) * RATE), []
            while sent < due:
                base = readings[sent % len(readings)]
                seq = seqs[base.device_id] = seqs.get(base.device_id, 10**6) + 1
                # One in 50 a shock, on containers not shocked yet (an alert each: the rule has a
                # cooldown), so that the alerts span the run rather than its first 2 s (cold start).
                shock = 9.0 if sent % 50 == (sent // CONTAINERS) % 50 else None
                step.append(msgspec.structs.replace(base, ts=datetime.now(UTC), seq=seq, shock_g=shock))
                sent += 1
            feed.send_readings(step)  # one feed batch per 20 ms: what an ingest gateway would send
            prod.poll()
            time.sleep(0.02)
        prod.flush(60)
        time.sleep(5)
        stop.set()
        stored: list[tuple[float, float]] = receive.recv() if receive.poll(60) else []
    finally:
        stop.set()
        watching.set()
        sink.join(30)
        procs.stop()
        delete_namespace(BOOT, ns)
    return Latency.split(stored, on_topic, start + WARMUP_S)


def main() -> None:
    argv = sys.argv[1:]
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    args = [a for i, a in enumerate(argv) if not a.startswith("--") and (i == 0 or argv[i - 1] != "--rounds")]
    n = int(args[0]) if args else 100_000
    readings, zones_doc = fleet(n)
    zones = zones_from_geojson(zones_doc)
    print(
        f"input: {len(readings):,} readings from {CONTAINERS:,} containers, {len(zones)} zones, broker {BOOT}"
    )
    legs = [] if "--latency-only" in argv else ["raw", "faust", "quix", "quix-plain"]
    if legs and not Path(QUIX_PYTHON).exists():
        missing = f"no Quix interpreter at CARGOTRAIL_QUIX_PYTHON={QUIX_PYTHON}"
        raise SystemExit(f"{missing}: run `make quix-venv`")
    runs: dict[str, list[float]] = {name: [] for name in legs}
    for r in range(rounds if legs else 0):
        for name in legs[r % len(legs) :] + legs[: r % len(legs)]:  # each round starts elsewhere
            runs[name].append(contender(name, readings, zones_doc))
        line = ", ".join(f"{name} {runs[name][-1]:,.0f}" for name in legs)
        print(f"  round {r + 1}: {line} readings/s; faust/quix {runs['faust'][-1] / runs['quix'][-1]:.2f}")
    if legs:
        rates = {name: statistics.median(xs) for name, xs in runs.items()}
        for name in legs:
            print(f"  ({name}) {rates[name]:>10,.0f} readings/s (median of {rounds})")
        print(f"  ratio faust/raw = {rates['faust'] / rates['raw']:.2f} (target >= 0.5)")
        print(f"  ratio faust/quix = {rates['faust'] / rates['quix']:.2f} (target >= 1)")
        print(f"  ratio faust/quix-plain = {rates['faust'] / rates['quix-plain']:.2f} (Quix without state)")
    lat = latency(readings, zones_doc)
    (p50, p99), (w50, w99), (u50, u99) = lat.stored, lat.on_topic, lat.warmup_stored
    print(
        f"  latency at {RATE:,}/s through Faust to the store: p50 {p50 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms over {lat.alerts} alerts (target p99 <= 1 s); "
        f"to the alerts topic (worker's share): p50 {w50 * 1000:.0f} ms, p99 {w99 * 1000:.0f} ms; "
        f"warm-up ({WARMUP_S:.0f} s, every container first seen): p50 {u50 * 1000:.0f} ms, "
        f"p99 {u99 * 1000:.0f} ms over {lat.warmup_alerts} alerts"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--quix-leg"]:
        quix_leg(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1:2] == ["--raw-leg"]:
        raw_leg(sys.argv[2], sys.argv[3])
    else:
        main()
