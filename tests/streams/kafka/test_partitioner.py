"""The feed's partitioner against librdkafka's murmur2 on the real broker."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Message, Producer

from cargotrail.kafka.partitioner import partition_of
from cargotrail.kafka.topics import Namespace, delete_namespace, ensure_topics

pytestmark = pytest.mark.integration


def test_batched_readings_land_where_keyed_records_would(bootstrap):
    ns = Namespace(f"test.part-{uuid.uuid4().hex[:8]}", 7)
    ensure_topics(bootstrap, ns)
    # every tail length of murmur2's 4-byte blocks; an empty key would be placed at random
    keys = [f"MSCU{n:07d}".encode() for n in range(200)] + [b"a", b"ab", b"abc", b"abcd"]
    placed: dict[bytes, int | None] = {}
    p = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
    try:
        for k in keys:

            def placed_at(err: object, msg: Message, k: bytes = k) -> None:
                placed[k] = msg.partition()

            p.produce(ns.telemetry, b"x", k, on_delivery=placed_at)
        assert p.flush(30) == 0
    finally:
        delete_namespace(bootstrap, ns)
    assert placed == {k: partition_of(k, 7) for k in keys}
