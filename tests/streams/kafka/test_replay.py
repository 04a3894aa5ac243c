"""Where a rebuild resumes, read from the real broker's group coordinator."""

from __future__ import annotations

import threading
import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic  # where the type stubs declare it

from cargotrail.kafka.producer import RecordProducer
from streams.runtimes.kafka.replay import committed_offset, replay

pytestmark = pytest.mark.integration


@pytest.fixture()
def topic(kafka_bootstrap: str):
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    name = f"test.replay-{uuid.uuid4().hex[:8]}"
    for f in admin.create_topics([NewTopic(name, 2, 1)]).values():
        f.result(30)
    yield name
    for f in admin.delete_topics([name]).values():
        f.result(30)


def test_a_group_that_committed_nothing_resumes_at_zero(kafka_bootstrap, topic):
    assert committed_offset(kafka_bootstrap, f"group-{uuid.uuid4().hex[:8]}", topic, 0) == 0


def test_a_group_resumes_at_the_offset_it_committed_for_that_partition(kafka_bootstrap, topic):
    group = f"group-{uuid.uuid4().hex[:8]}"
    c = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        c.assign([TopicPartition(topic, 1)])
        c.commit(offsets=[TopicPartition(topic, 1, 42)], asynchronous=False)
    finally:
        c.close()
    assert committed_offset(kafka_bootstrap, group, topic, 1) == 42
    assert committed_offset(kafka_bootstrap, group, topic, 0) == 0


def test_a_cancelled_replay_stops_at_the_next_batch_instead_of_waiting_for_the_rest(kafka_bootstrap, topic):
    producer = RecordProducer(kafka_bootstrap, linger_ms=0)
    for _ in range(3):
        producer.send(topic, b"BADU1234567", b'{"type": "reading", "seq": "x"}', partition=0)
    producer.flush(30)
    cancel = threading.Event()
    rejected: list[int] = []

    def reject(exc, off: int) -> None:
        rejected.append(off)
        if off == 2:
            cancel.set()  # revoked: offsets [3, 10) never come, and the replay must not wait for them

    read = replay(
        kafka_bootstrap,
        topic,
        0,
        job=None,
        until=10,
        emit_from=0,
        emit=lambda out, off: pytest.fail("nothing decodes, so nothing is emitted"),
        reject=reject,
        cancel=cancel,
        stall_timeout_s=30,
    )
    assert read == 3
    assert rejected == [0, 1, 2]
