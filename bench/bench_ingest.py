"""Ingest throughput into Kafka: HTTP batches and MQTT messages, against producing directly (issue 7).

Same broker (CARGOTRAIL_TEST_KAFKA, default 127.0.0.1:19092), same readings (one per device and
sequence number, 2,000 containers), a fresh 4-partition namespace per contender:

(a) direct: confluent-kafka (``RecordProducer``, the producer the gateway uses) encodes and produces
    every reading to the telemetry topic keyed by container, then flushes: the ceiling;
(b) HTTP: ``POST /v1/readings`` batches (encoded once, outside the timing) from a few client
    processes to the ingest app on a real uvicorn server, gateway -> ``KafkaSink``;
(c) MQTT: one reading per message (what trackers send), QoS 1 from a publisher process through
    Mosquitto (CARGOTRAIL_TEST_MQTT and credentials) to the ``MqttIngest`` subscriber, gateway ->
    ``KafkaSink``;
(c') MQTT, arrays of readings of one device per message (a gateway batching its trackers), and
    the transport alone (the same messages to a subscriber that does nothing): paho's pure-Python
    packet handling, not the gateway, bounds one-reading messages;
(d) HTTP into the embedded runtime (SQLite store, processors, anchoring), the previous figure.

Senders run in their own processes (they are other machines in production: sharing the gateway's
GIL would bill their work to it); on 2 cores they still compete for the CPU. Each rate runs from
the first message sent until the broker acknowledged the last reading (the
gateway's close flushes the producer). Ratios are to (a) on the same readings, in the same run.
Issue 7's target: >= 50,000 readings/s for HTTP batches on 2 cores.

Run: ``.venv/bin/python bench/bench_ingest.py [readings] [batch] [clients] [mqtt_messages]
[mqtt_batch] [rounds]`` (defaults 200,000 5,000 2 30,000 50 3).
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path
from queue import Queue

import httpx
import msgspec
import paho.mqtt.client as mqtt
import uvicorn
from paho.mqtt.enums import CallbackAPIVersion

from cargotrail.contract import make_container_id
from cargotrail.contract.records import Reading
from cargotrail.kafka.codec import encode
from cargotrail.kafka.producer import RecordProducer
from cargotrail.kafka.topics import Namespace, delete_namespace, ensure_topics
from cargotrail.settings import Settings
from services.ingest.gateway import IngestGateway
from services.ingest.http import create_app
from services.ingest.kafka_sink import KafkaSink
from services.ingest.mqtt import TOPIC_PREFIX, MqttConfig, MqttIngest

BOOT = os.environ.get("CARGOTRAIL_TEST_KAFKA", "127.0.0.1:19092")
MQTT_ADDR = os.environ.get("CARGOTRAIL_TEST_MQTT", "127.0.0.1:51883")
# This run's own topics: the broker may be shared, and another process's messages must not count here.
BENCH_TOPICS = f"bench-{uuid.uuid4().hex[:8]}/{TOPIC_PREFIX}"
MQTT_USER = os.environ.get("CARGOTRAIL_TEST_MQTT_USER", "cargotrail")
MQTT_PASSWORD = os.environ.get("CARGOTRAIL_TEST_MQTT_PASSWORD", "cargotrail-mqtt")
T0 = datetime.now(UTC) - timedelta(days=1)
TIMEOUT_S = 120.0
MQTT_WINDOW = 2_000  # messages published but not yet handled: Mosquitto's queue is finite
CONTAINERS = [make_container_id("BEN", i) for i in range(2_000)]


def readings(total: int, first: int = 0) -> list[Reading]:
    return [
        Reading(
            device_id=f"TRK-{i % 2_000}",
            container_id=CONTAINERS[i % 2_000],
            seq=i,
            ts=T0 + timedelta(milliseconds=10 * i),
            lat=51.9 + (i % 100) * 1e-4,
            lon=4.1,
            temperature_c=5.0,
            battery_pct=80.0,
        )
        for i in range(first, first + total)
    ]


def namespace(kind: str) -> Namespace:
    ns = Namespace(f"bench-ingest-{kind}-{uuid.uuid4().hex[:6]}", partitions=4)
    ensure_topics(BOOT, ns)
    return ns


def kafka_gateway(data_dir: Path, ns: Namespace) -> IngestGateway:
    sink = KafkaSink(RecordProducer(BOOT, linger_ms=5.0), ns)
    return IngestGateway(dataclasses.replace(Settings(), data_dir=data_dir), sink=sink)


def direct(rs: list[Reading], ns: Namespace) -> float:
    producer = RecordProducer(BOOT, linger_ms=5.0)
    started = time.perf_counter()
    for r in rs:
        producer.send(ns.telemetry, r.container_id.encode(), encode(r))
    producer.flush(TIMEOUT_S)
    return len(rs) / (time.perf_counter() - started)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post_all(url: str, bodies: list[bytes], go: Event, done: Queue) -> None:  # type: ignore[type-arg]
    """One client process: wait for the start signal, post every body, report the readings accepted."""
    accepted = 0
    with httpx.Client(base_url=url, timeout=TIMEOUT_S) as c:
        go.wait(TIMEOUT_S)
        for body in bodies:
            answer = c.post("/v1/readings", content=body)
            answer.raise_for_status()
            accepted += answer.json()["accepted"]
    done.put(accepted)


def http(gateway: IngestGateway, bodies: list[bytes], clients: int) -> tuple[int, float]:
    """Clients in their own processes (senders are other machines: they must not share our GIL)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(gateway), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(timeout=TIMEOUT_S) as probe:
        for _ in range(200):
            try:
                probe.get(f"{url}/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.05)
    ctx = mp.get_context("spawn")
    go, done = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_post_all, args=(url, bodies[k::clients], go, done)) for k in range(clients)]
    for p in procs:
        p.start()
    time.sleep(2.0)  # let the client processes import and connect before the clock starts
    started = time.perf_counter()
    go.set()
    accepted = sum(done.get(timeout=TIMEOUT_S * 5) for _ in procs)
    gateway.close()  # every reading acknowledged by the broker (or stored, for the embedded sink)
    elapsed = time.perf_counter() - started
    for p in procs:
        p.join(TIMEOUT_S)
    server.should_exit = True
    thread.join(TIMEOUT_S)
    return accepted, elapsed


def mqtt_messages(rs: list[Reading], per_message: int) -> list[tuple[str, bytes]]:
    """One reading per message on its device's topic, or arrays of ``per_message`` readings of one
    device (a gateway that batches its trackers' fixes)."""
    if per_message == 1:
        return [(f"{BENCH_TOPICS}/{r.device_id}", msgspec.json.encode(r)) for r in rs]
    out = []
    for i in range(0, len(rs), per_message):
        device = f"GW-{i // per_message}"
        batch = [msgspec.structs.replace(r, device_id=device) for r in rs[i : i + per_message]]
        out.append((f"{BENCH_TOPICS}/{device}", msgspec.json.encode(batch)))
    return out


def _publish_all(messages: list[tuple[str, bytes]], handled: Synchronized, go: Event) -> None:  # type: ignore[type-arg]
    """The devices, in their own process: QoS 1, at most ``MQTT_WINDOW`` messages ahead of the subscriber."""
    host, _, port = MQTT_ADDR.rpartition(":")
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{uuid.uuid4().hex[:6]}")
    pub.username_pw_set(MQTT_USER, MQTT_PASSWORD)
    pub.max_inflight_messages_set(1_000)
    pub.connect(host, int(port), keepalive=30)
    pub.loop_start()
    pause = threading.Event()
    go.wait(TIMEOUT_S)
    last = None
    for sent, (topic, payload) in enumerate(messages, start=1):
        last = pub.publish(topic, payload, qos=1)
        while sent - handled.value > MQTT_WINDOW:
            pause.wait(0.001)
    if last is not None:
        last.wait_for_publish(TIMEOUT_S)
    pub.disconnect()
    pub.loop_stop()


def mqtt_ingest(gateway: IngestGateway, rs: list[Reading], per_message: int) -> tuple[int, float]:
    host, _, port = MQTT_ADDR.rpartition(":")
    client_id = f"bench-{uuid.uuid4().hex[:6]}"
    config = MqttConfig(
        host=host,
        port=int(port),
        username=MQTT_USER,
        password=MQTT_PASSWORD,
        client_id=client_id,
        topic_prefix=BENCH_TOPICS,
    )
    ingest = MqttIngest(gateway, config)
    ingest.start()
    messages = mqtt_messages(rs, per_message)
    ctx = mp.get_context("spawn")
    handled, go = ctx.Value("q", 0), ctx.Event()
    publisher = ctx.Process(target=_publish_all, args=(messages, handled, go))
    publisher.start()
    time.sleep(2.0)  # let the publisher process import and connect before the clock starts
    pause = threading.Event()
    started = time.perf_counter()
    go.set()
    deadline = time.monotonic() + TIMEOUT_S
    while ingest.handled < len(messages) and time.monotonic() < deadline:
        handled.value = ingest.handled
        pause.wait(0.002)
    ingest.stop()
    gateway.close()
    elapsed = time.perf_counter() - started
    publisher.join(TIMEOUT_S)
    return ingest.accepted, elapsed


def mqtt_transport(rs: list[Reading]) -> float:
    """Messages/s through Mosquitto to a paho subscriber that does nothing: the transport's own ceiling."""
    host, _, port = MQTT_ADDR.rpartition(":")
    received = [0]
    ready = threading.Event()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-raw-{uuid.uuid4().hex[:6]}")
    sub.username_pw_set(MQTT_USER, MQTT_PASSWORD)
    sub.on_connect = lambda client, *_: client.subscribe(f"{BENCH_TOPICS}/#", qos=1)
    sub.on_subscribe = lambda *_: ready.set()

    def on_message(*_: object) -> None:
        received[0] += 1

    sub.on_message = on_message
    sub.connect(host, int(port), keepalive=30)
    sub.loop_start()
    ready.wait(TIMEOUT_S)
    messages = mqtt_messages(rs, 1)
    ctx = mp.get_context("spawn")
    handled, go = ctx.Value("q", 0), ctx.Event()
    publisher = ctx.Process(target=_publish_all, args=(messages, handled, go))
    publisher.start()
    time.sleep(2.0)
    pause = threading.Event()
    started = time.perf_counter()
    go.set()
    deadline = time.monotonic() + TIMEOUT_S
    while received[0] < len(messages) and time.monotonic() < deadline:
        handled.value = received[0]
        pause.wait(0.002)
    elapsed = time.perf_counter() - started
    sub.disconnect()
    sub.loop_stop()
    publisher.join(TIMEOUT_S)
    return received[0] / elapsed


def best(rounds: int, run: Callable[[int], float]) -> float:
    """The best rate of ``rounds`` runs (``run(round)``): the machine is shared, noise only slows."""
    return max(run(k) for k in range(rounds))


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 5_000
    clients = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    mqtt_total = int(sys.argv[4]) if len(sys.argv) > 4 else 30_000
    mqtt_batch = int(sys.argv[5]) if len(sys.argv) > 5 else 50
    rounds = int(sys.argv[6]) if len(sys.argv) > 6 else 3
    rs = readings(total)
    bodies = [msgspec.json.encode(rs[i : i + size]) for i in range(0, total, size)]
    mqtt_rs = readings(mqtt_total, first=total)
    ns = {k: namespace(k) for k in ("direct", "http", "mqtt", "mqtt-batch")}

    def through(
        kind: str, tmp: Path, k: int, go: Callable[[IngestGateway], tuple[int, float]], n: int
    ) -> float:
        accepted, elapsed = go(kafka_gateway(tmp / f"{kind}-{k}", ns[kind]))
        if accepted != n:
            raise SystemExit(f"{kind}: {accepted} of {n} readings accepted")
        return n / elapsed

    try:
        with tempfile.TemporaryDirectory() as tmp_dir:
            tmp = Path(tmp_dir)
            base = best(rounds, lambda _: direct(rs, ns["direct"]))
            rate = best(rounds, lambda k: through("http", tmp, k, lambda g: http(g, bodies, clients), total))
            print(f"best of {rounds} runs each")
            print(f"direct confluent-kafka: {total:,} readings, {base:,.0f} readings/s")
            line(f"HTTP batches -> Kafka ({size}/batch, {clients} client processes)", rate, base)
            mqtt_base = best(rounds, lambda _: direct(mqtt_rs, ns["direct"]))
            rate = best(
                rounds, lambda k: through("mqtt", tmp, k, lambda g: mqtt_ingest(g, mqtt_rs, 1), mqtt_total)
            )
            line(f"MQTT -> Kafka (1 reading/message, QoS 1, {mqtt_total:,} messages)", rate, mqtt_base)
            raw = best(rounds, lambda _: mqtt_transport(mqtt_rs))
            print(
                f"  MQTT transport alone (same messages, a subscriber doing nothing): {raw:,.0f} messages/s"
            )

            def batched(g: IngestGateway) -> tuple[int, float]:
                return mqtt_ingest(g, rs, mqtt_batch)

            rate = best(rounds, lambda k: through("mqtt-batch", tmp, k, batched, total))
            line(f"MQTT -> Kafka ({mqtt_batch} readings/message, QoS 1)", rate, base)
            embedded = IngestGateway(dataclasses.replace(Settings(), data_dir=tmp / "embedded"))
            accepted, elapsed = http(embedded, bodies, clients)
            if accepted != total:
                raise SystemExit(f"embedded: {accepted} of {total} readings accepted")
            line(
                "HTTP batches -> embedded runtime (SQLite store, processors, anchoring; 1 run)",
                total / elapsed,
                base,
            )
    finally:
        for space in ns.values():
            delete_namespace(BOOT, space)
    print("target: >= 50,000 readings/s for HTTP batches on 2 cores")


def line(label: str, rate: float, base: float) -> None:
    print(f"{label}: {rate:,.0f} readings/s, ratio to direct {rate / base:.2f}")


if __name__ == "__main__":
    main()
