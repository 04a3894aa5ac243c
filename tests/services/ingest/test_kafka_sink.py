"""The gateway over ``KafkaSink`` (``ingest-server --kafka``): readings to telemetry, rejections to DLQ."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys

import httpx
import msgspec
import pytest

from cargotrail.contract.records import Reading
from cargotrail.kafka.codec import TICK_KEY, DeadLetter
from cargotrail.kafka.producer import RecordProducer
from cargotrail.settings import Settings
from services.ingest.gateway import IngestGateway
from services.ingest.kafka_sink import KafkaSink
from tests.conftest import reading
from tests.services.ingest.conftest import WAIT_S, drain, wait_until
from tests.services.ingest.test_fuzz_transports import free_port

pytestmark = pytest.mark.integration


def test_a_batch_is_split_between_the_telemetry_and_dlq_topics(kafka, namespace, tmp_path):
    sink = KafkaSink(RecordProducer(kafka, linger_ms=2), namespace)
    gateway = IngestGateway(dataclasses.replace(Settings(), data_dir=tmp_path / "data"), sink=sink)
    good = [json.loads(msgspec.json.encode(reading(device=f"TRK-{i}", seq=i, minutes=i))) for i in range(30)]
    body = json.dumps([*good[:10], {**good[0], "lat": "north"}, *good[10:], 7]).encode()
    try:
        result = gateway.submit(body, source="http")
        refused = gateway.submit(b"not json", source="http")
    finally:
        gateway.close()  # flushes the producer: everything is on the broker now
    assert (result.accepted, result.rejected, refused.status) == (30, 2, 400)
    forwarded = drain(kafka, namespace.telemetry, 30, keep=lambda m: m.key() != TICK_KEY)
    assert sorted(msgspec.json.decode(m.value(), type=Reading).seq for m in forwarded) == list(range(30))
    letters = [
        msgspec.json.decode(m.value(), type=DeadLetter).rejection
        for m in drain(kafka, namespace.outputs["dlq"], 3)
    ]
    assert sorted((r.source, r.position, r.field) for r in letters) == [
        ("http", 0, ""),
        ("json", 10, "lat"),
        ("json", 31, ""),
    ]
    assert all(r.reason and r.raw for r in letters)


def test_the_ingest_server_command_sends_to_kafka(kafka, namespace, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "CARGOTRAIL_DATA_DIR": str(tmp_path / "data"),
        "CARGOTRAIL_KAFKA_PREFIX": namespace.prefix,
        "CARGOTRAIL_KAFKA_PARTITIONS": str(namespace.partitions),
    }
    command = [
        sys.executable,
        "-m",
        "cargotrail.cli.main",
        "ingest-server",
        "--port",
        str(port),
        "--kafka",
        kafka,
    ]
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _up(url), "the ingest server to answer")
        body = msgspec.json.encode([reading(device="TRK-CLI", seq=i, minutes=i) for i in range(3)])
        answer = httpx.post(f"{url}/v1/readings", content=body, timeout=WAIT_S)
        assert answer.status_code == 200 and answer.json()["accepted"] == 3
    finally:
        proc.send_signal(signal.SIGTERM)  # uvicorn shuts down: the gateway flushes the producer
        _, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode in (0, -signal.SIGTERM), err  # uvicorn re-raises the signal it handled
    assert "Application shutdown complete" in err
    forwarded = drain(kafka, namespace.telemetry, 3, keep=lambda m: m.key() != TICK_KEY)
    assert sorted(msgspec.json.decode(m.value(), type=Reading).seq for m in forwarded) == [0, 1, 2]


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2.0).status_code == 200
    except httpx.TransportError:
        return False
