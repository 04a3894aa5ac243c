"""The gateway over ``KafkaSink`` (``ingest-server --kafka``): readings to telemetry, rejections to DLQ."""

from __future__ import annotations

import dataclasses
import json

import msgspec
import pytest

from cargotrail.contract.records import Reading
from cargotrail.kafka.codec import TICK_KEY, DeadLetter
from cargotrail.kafka.producer import RecordProducer
from cargotrail.settings import Settings
from services.ingest.gateway import IngestGateway
from services.ingest.kafka_sink import KafkaSink
from tests.conftest import reading
from tests.services.ingest.conftest import drain

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
