"""Kafka-direct ingest, real broker: raw topic -> telemetry topic (keyed by container) or the DLQ topic."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import msgspec
import pytest
from confluent_kafka import Producer
from typer.testing import CliRunner

from cargotrail.cli.main import app as cli
from cargotrail.contract import make_container_id
from cargotrail.contract.records import Reading
from cargotrail.kafka.codec import TICK_KEY, DeadLetter, Tick, header
from cargotrail.kafka.producer import RecordProducer
from services.ingest.kafka_direct import KafkaDirectIngest, raw_topic
from services.ingest.kafka_sink import KafkaSink
from tests.conftest import T0, reading
from tests.services.ingest.conftest import WAIT_S, drain

pytestmark = pytest.mark.integration

V1 = [("schema-version", b"1")]


def test_valid_records_are_forwarded_by_container_and_bad_ones_dead_lettered(kafka, namespace):
    valid = [reading(make_container_id("MSC", i % 3), device=f"TRK-{i}", seq=i, minutes=i) for i in range(60)]
    one = json.loads(msgspec.json.encode(valid[0]))
    bad: list[tuple[bytes | None, list, str]] = [
        (msgspec.json.encode(valid[0]), [], "schema-version"),
        (b"\x00\xff garbage", V1, "value"),
        (json.dumps({**one, "lat": None}).encode(), V1, "lat"),
        (json.dumps({**one, "container_id": "ABCD1234567"}).encode(), V1, "container_id"),
        (None, V1, "value"),
    ]
    producer = Producer({"bootstrap.servers": kafka})
    topic = raw_topic(namespace)
    for i, r in enumerate(valid):
        producer.produce(topic, msgspec.json.encode(r), f"k{i}".encode(), headers=V1)
        if i % 12 == 0:
            value, headers, _ = bad[(i // 12) % len(bad)]
            producer.produce(topic, value, b"bad", headers=headers)
    assert producer.flush(30) == 0
    expected_bad = [bad[(i // 12) % len(bad)][2] for i in range(0, len(valid), 12)]
    sink = KafkaSink(RecordProducer(kafka, linger_ms=2), namespace)
    ingest = KafkaDirectIngest(kafka, namespace, sink, max_future_s=300, clock=lambda: T0.timestamp() + 7200)
    total = len(valid) + len(expected_bad)
    deadline = time.monotonic() + WAIT_S
    try:
        while ingest.counters.consumed < total and time.monotonic() < deadline:
            ingest.poll_once(0.5)
    finally:
        ingest.close()
    assert (ingest.counters.accepted, ingest.counters.rejected) == (len(valid), len(expected_bad))
    forwarded = drain(kafka, namespace.telemetry, len(valid), keep=lambda m: m.key() != TICK_KEY)
    readings = [msgspec.json.decode(m.value(), type=Reading) for m in forwarded]
    assert sorted(r.seq for r in readings) == [r.seq for r in valid]
    assert all(m.key() == r.container_id.encode() for m, r in zip(forwarded, readings, strict=True))
    assert all(header(m.headers(), "schema-version") == b"1" for m in forwarded)
    # the gateway vouches for its clock on every partition, so the workers release what it sent
    ticks = drain(kafka, namespace.telemetry, namespace.partitions, keep=lambda m: m.key() == TICK_KEY)
    assert {m.partition() for m in ticks} == set(range(namespace.partitions))
    assert {msgspec.json.decode(m.value(), type=Tick).source_time for m in ticks} == {T0.timestamp() + 7200}
    letters = [
        msgspec.json.decode(m.value(), type=DeadLetter)
        for m in drain(kafka, namespace.outputs["dlq"], len(expected_bad))
    ]
    assert sorted(d.rejection.field for d in letters) == sorted(expected_bad)
    assert all(d.rejection.source == "kafka" and d.rejection.reason and d.rejection.record for d in letters)
    assert any(d.rejection.raw.startswith("\x00") for d in letters)  # the raw value, as produced


def test_the_command_is_registered():
    result = CliRunner().invoke(cli, ["ingest-kafka", "--help"])
    assert result.exit_code == 0 and "ingest.raw" in result.output


def test_the_command_forwards_until_terminated(kafka, namespace, tmp_path):
    env = {
        **os.environ,
        "CARGOTRAIL_DATA_DIR": str(tmp_path / "data"),
        "CARGOTRAIL_KAFKA_BOOTSTRAP": kafka,
        "CARGOTRAIL_KAFKA_PREFIX": namespace.prefix,
        "CARGOTRAIL_KAFKA_PARTITIONS": str(namespace.partitions),
    }
    command = [sys.executable, "-m", "cargotrail.cli.main", "ingest-kafka"]
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        producer = Producer({"bootstrap.servers": kafka})
        good = [reading(make_container_id("CMD", i), device=f"TRK-{i}", seq=i) for i in range(5)]
        for r in good:
            producer.produce(raw_topic(namespace), msgspec.json.encode(r), headers=V1)
        producer.produce(raw_topic(namespace), b"{}", headers=V1)
        assert producer.flush(30) == 0
        forwarded = drain(kafka, namespace.telemetry, len(good), keep=lambda m: m.key() != TICK_KEY)
        (letter,) = drain(kafka, namespace.outputs["dlq"], 1)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=WAIT_S)
    assert len(forwarded) == len(good) and b"missing required field" in letter.value()
    assert proc.returncode == 0 and "6 records, 5 forwarded, 1 dead-lettered" in err, err
