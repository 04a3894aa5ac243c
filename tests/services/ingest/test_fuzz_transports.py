"""Fuzzing the network entry points over real servers: HTTP (uvicorn), MQTT (Mosquitto), Kafka, NMEA/TCP.

The same structure-aware mutants as ``test_fuzz_parsers``, interleaved with valid readings, sent
over real sockets into a real DLQ (the SQLite dead-letter table behind the gateway; the DLQ topic
for Kafka). Checked per message: HTTP by the answer's index and field and the DLQ's count, Kafka
by the dead letter's partition and offset, an NMEA TCP stream by line number, MQTT by the multiset
of dead-lettered fields (delivery order across a broker is not the publish order). Every
interleaved valid reading is stored or forwarded. The malformed messages checked must reach each
transport's ``mutants.QUOTA``.
"""

from __future__ import annotations

import dataclasses
import random
import re
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import msgspec
import pytest
import uvicorn
from confluent_kafka import Producer

from cargotrail.contract import make_container_id
from cargotrail.contract.records import Reading
from cargotrail.kafka.codec import TICK_KEY, DeadLetter
from cargotrail.kafka.producer import RecordProducer
from cargotrail.settings import Settings
from cargotrail.wiring import open_store
from services.ingest.gateway import IngestGateway
from services.ingest.http import create_app
from services.ingest.kafka_direct import KafkaDirectIngest, raw_topic
from services.ingest.kafka_sink import KafkaSink
from services.ingest.mqtt import TOPIC_PREFIX, MqttIngest
from services.ingest.nmea_stream import NmeaListener, StreamConfig
from services.ingest.pipeline import load_registry, save_registry
from tests.services.ingest import mutants as m
from tests.services.ingest.conftest import WAIT_S, drain, publisher, wait_until

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
T0 = NOW - timedelta(days=2)  # valid readings: 1 s apart after T0, never in the future


def counts(settings: Settings) -> dict[str, int]:
    store = open_store(settings)
    try:
        return store.counts()
    finally:
        store.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(gateway: IngestGateway) -> Iterator[str]:
    """The ingest app on a real uvicorn server on loopback; shutting down flushes the gateway."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(gateway), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _healthy(url), "the ingest server to answer")
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(WAIT_S)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2.0).status_code == 200
    except httpx.TransportError:
        return False


HTTP_BAD, HTTP_GOOD, HTTP_BODIES = 500, 150, 100


def test_fuzz_http_batches(tmp_path: Path) -> None:
    settings = dataclasses.replace(Settings(), data_dir=tmp_path / "data")
    gateway = IngestGateway(settings)
    valid_total = 0
    next_k = 0
    with served(gateway) as url, httpx.Client(base_url=url, timeout=WAIT_S) as client:

        def example(seed: int) -> int:
            nonlocal valid_total, next_k
            rng = random.Random(seed)
            before = counts(settings)["dead_letters"]
            bad_at = m.interleave(rng, HTTP_BAD, HTTP_GOOD)
            items: list[object] = []
            expected: dict[int, str] = {}
            for i in range(HTTP_BAD + HTTP_GOOD):
                base = m.valid_reading(rng, next_k + i, T0)
                if i in bad_at:
                    mutant = m.json_mutant(rng, base, NOW, nan=rng.random() < 0.2)
                    expected[i] = mutant.field
                    items.append(mutant.payload)
                else:
                    items.append(base)
            next_k += HTTP_BAD + HTTP_GOOD
            answer = client.post("/v1/readings", content=("[" + ",".join(map(m.dumps, items)) + "]").encode())
            assert answer.status_code == 200, answer.text
            result = answer.json()
            assert result["accepted"] == HTTP_GOOD
            got = {r["index"]: r for r in result["rejections"]}
            assert len(got) == len(result["rejections"]) == len(expected) and got.keys() == expected.keys()
            for index, field in expected.items():
                assert got[index]["field"] == field and got[index]["reason"] and got[index]["record"], got[
                    index
                ]
            for _ in range(HTTP_BODIES):  # whole bodies that are no JSON array: 400, one dead letter each
                refused = client.post("/v1/readings", content=m.body_mutant(rng))
                assert refused.status_code == 400, refused.text
                (rejection,) = refused.json()["rejections"]
                assert rejection["record"] == "#batch" and rejection["reason"]
            valid_total += HTTP_GOOD
            assert counts(settings)["dead_letters"] - before == HTTP_BAD + HTTP_BODIES
            return HTTP_BAD + HTTP_BODIES

        m.run_seeds(m.QUOTA["http"], HTTP_BAD + HTTP_BODIES, example)
    assert counts(settings)["readings"] == valid_total  # the server's shutdown flushed the runtime


MQTT_WINDOW = 250  # messages in flight at most: the subscriber commits each one; the broker's queue is finite


def test_fuzz_mqtt_messages(broker, tmp_path: Path) -> None:
    settings = dataclasses.replace(Settings(), data_dir=tmp_path / "data")
    gateway = IngestGateway(settings)
    ingest = MqttIngest(gateway, dataclasses.replace(broker, client_id=f"fuzz-{uuid.uuid4().hex[:8]}"))
    ingest.start()
    pub = publisher(broker)
    pub.connect(broker.host, broker.port, keepalive=30)
    pub.loop_start()
    expected: Counter[str] = Counter()
    sent = valid = devices = 0

    def publish(topic: str, payload: bytes) -> None:
        nonlocal sent
        pub.publish(topic, payload, qos=1).wait_for_publish(timeout=WAIT_S)
        sent += 1
        if sent - ingest.handled >= MQTT_WINDOW:
            wait_until(lambda: sent - ingest.handled < MQTT_WINDOW // 2, "the subscriber to catch up")

    def example(seed: int) -> int:
        nonlocal valid, devices
        rng = random.Random(seed)
        bad = 0
        for k in range(400):
            devices += 1
            device = f"FZM-{devices}"
            reading = m.valid_reading(rng, k, T0, device=device)
            topic = f"{TOPIC_PREFIX}/{device}"
            if k % 4 == 0:
                publish(topic, m.dumps(reading).encode())
                valid += 1
                continue
            bad += 1
            kind = rng.randrange(10)
            if kind == 0:
                publish(f"{topic}/{rng.choice(['', 'extra', 'a/b'])}", m.dumps(reading).encode())
                expected["topic"] += 1
            elif kind == 1:
                publish(f"{TOPIC_PREFIX}/other-{device}", m.dumps(reading).encode())
                expected["device_id"] += 1
            elif kind == 2:
                publish(topic, m.body_mutant(rng))
                expected[""] += 1
            else:
                mutant = m.json_mutant(rng, reading, NOW, nan=rng.random() < 0.2)
                if not isinstance(mutant.payload, dict):
                    mutant = m.Mutant(m.body_mutant(rng), "")
                    publish(topic, mutant.payload)
                else:
                    publish(topic, m.dumps(mutant.payload).encode())
                expected[mutant.field] += 1
        return bad

    try:
        m.run_seeds(m.QUOTA["mqtt"], 300, example)
        wait_until(lambda: ingest.handled >= sent, f"{sent} messages to be handled")
    finally:
        pub.disconnect()
        pub.loop_stop()
        ingest.stop()
        gateway.close()
    store = open_store(settings)
    try:
        letters = store.dead_letters(sum(expected.values()) + 10)
        stored = store.counts()["readings"]
    finally:
        store.close()
    assert Counter(d.rejection.field for d in letters) == expected
    assert all(d.rejection.reason and d.rejection.record for d in letters)
    assert (ingest.accepted, stored) == (valid, valid)


KAFKA_BAD, KAFKA_GOOD = 1000, 250
V1 = [("schema-version", b"1")]
_WHERE = re.compile(r"\[(\d+)\]@(\d+)")


def test_fuzz_kafka_direct(kafka, namespace) -> None:
    producer = Producer({"bootstrap.servers": kafka, "linger.ms": 5})
    topic = raw_topic(namespace)
    expected: dict[tuple[int, int], str] = {}  # (partition, offset) -> field
    valid_seqs: list[int] = []
    sink = KafkaSink(RecordProducer(kafka, linger_ms=5), namespace)
    ingest = KafkaDirectIngest(kafka, namespace, sink, max_future_s=300)
    next_k = 0

    def example(seed: int) -> int:
        nonlocal next_k
        rng = random.Random(seed)
        bad_at = m.interleave(rng, KAFKA_BAD, KAFKA_GOOD)
        for i in range(KAFKA_BAD + KAFKA_GOOD):
            base = m.valid_reading(rng, next_k + i, T0)
            headers: list = V1
            if i not in bad_at:
                valid_seqs.append(base["seq"])
                value: bytes | None = m.dumps(base).encode()
                field = None
            else:
                kind = rng.randrange(8)
                if kind == 0:
                    headers, field = (
                        rng.choice([[], [("schema-version", b"2")], [("x", b"1")]]),
                        "schema-version",
                    )
                    value = m.dumps(base).encode()
                elif kind == 1:
                    value, field = rng.choice([None, b"", m.body_mutant(rng)]), "value"
                else:
                    mutant = m.json_mutant(rng, base, NOW, nan=False)
                    # a value that is no object at all is wrong as a whole: the rejection names "value"
                    value, field = m.dumps(mutant.payload).encode(), mutant.field or "value"

            def delivered(err, msg, field=field) -> None:
                assert err is None, err
                if field is not None:
                    expected[(msg.partition(), msg.offset())] = field

            producer.produce(topic, value, headers=headers, on_delivery=delivered)
        next_k += KAFKA_BAD + KAFKA_GOOD
        assert producer.flush(WAIT_S) == 0
        return KAFKA_BAD

    try:
        m.run_seeds(m.QUOTA["kafka"], KAFKA_BAD, example)
        total = len(expected) + len(valid_seqs)
        deadline = time.monotonic() + WAIT_S
        while ingest.counters.consumed < total and time.monotonic() < deadline:
            ingest.poll_once(0.5)
    finally:
        ingest.close()
    assert (ingest.counters.accepted, ingest.counters.rejected) == (len(valid_seqs), len(expected))
    letters = [
        msgspec.json.decode(x.value(), type=DeadLetter)
        for x in drain(kafka, namespace.outputs["dlq"], len(expected))
    ]
    seen: dict[tuple[int, int], str] = {}
    for d in letters:
        r = d.rejection
        where = _WHERE.search(r.record) or _WHERE.search(r.reason)
        assert where and r.reason and r.source == "kafka", r
        seen[(int(where[1]), int(where[2]))] = r.field
    assert len(seen) == len(letters) and seen == expected
    forwarded = drain(kafka, namespace.telemetry, len(valid_seqs), keep=lambda x: x.key() != TICK_KEY)
    assert sorted(msgspec.json.decode(x.value(), type=Reading).seq for x in forwarded) == sorted(valid_seqs)


STREAM_BAD, STREAM_GOOD = 250, 80


def test_fuzz_nmea_stream_over_tcp(tmp_path: Path) -> None:
    settings = dataclasses.replace(Settings(), data_dir=tmp_path / "data")
    registry = load_registry(settings.data_dir)
    registry.bind("GPS-FZT", make_container_id("GPT", 3))
    save_registry(settings.data_dir, registry)
    gateway = IngestGateway(settings)
    listener = NmeaListener(gateway, StreamConfig("GPS-FZT", tcp_port=0, chunk_lines=64))
    listener.start()
    valid = sent = 0

    def example(seed: int) -> int:  # one TCP connection per example: its lines are numbered from 1
        nonlocal valid, sent
        rng = random.Random(seed)
        bad_at = m.interleave(rng, STREAM_BAD, STREAM_GOOD)
        lines: list[str] = []
        expected: dict[int, str] = {}
        for i in range(STREAM_BAD + STREAM_GOOD):
            good = m.valid_gga(sent + i, T0)  # a time of day per line: distinct readings
            if i in bad_at:
                mutant = m.nmea_mutant(rng, good)
                expected[i + 1] = mutant.field
                lines.append(mutant.payload)
            else:
                lines.append(good)
        valid += STREAM_GOOD
        sent += len(lines)
        before, handed = counts(settings)["dead_letters"], listener.lines
        with socket.create_connection(("127.0.0.1", listener.ports["tcp"]), timeout=WAIT_S) as s:
            s.sendall("\r\n".join(lines).encode(errors="replace") + b"\r\n")
        wait_until(lambda: listener.lines - handed >= len(lines), "the connection's lines to be ingested")
        store = open_store(settings)
        try:
            letters = store.dead_letters(STREAM_BAD)
            assert store.counts()["dead_letters"] - before == STREAM_BAD
        finally:
            store.close()
        got = {d.rejection.position: d.rejection for d in letters}
        assert got.keys() == expected.keys()
        for n, field in expected.items():
            assert got[n].field == field and got[n].reason and got[n].record == f"GPS-FZT#line{n}", got[n]
        return STREAM_BAD

    try:
        m.run_seeds(m.QUOTA["nmea_stream"], STREAM_BAD, example)
    finally:
        listener.stop()
        gateway.close()
    assert counts(settings)["readings"] == valid
