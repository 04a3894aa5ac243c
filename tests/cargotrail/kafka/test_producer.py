"""The record producer against the real broker: refusals surface, acknowledged records are all there."""

from __future__ import annotations

import threading
import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic  # where the type stubs declare it

from cargotrail.kafka.errors import DeliveryError
from cargotrail.kafka.producer import RecordProducer

pytestmark = pytest.mark.integration


@pytest.fixture()
def topics(kafka_bootstrap: str):
    """Makes single-partition topics with the given broker-side configuration; deletes them after."""
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    made: list[str] = []

    def make(**config: str) -> str:
        name = f"test.producer-{uuid.uuid4().hex[:8]}"
        for f in admin.create_topics([NewTopic(name, 1, 1, config=config)]).values():
            f.result(30)
        made.append(name)
        return name

    yield make
    if made:
        for f in admin.delete_topics(made).values():
            f.result(30)


def test_a_record_the_broker_refuses_fails_the_flush_naming_it(kafka_bootstrap, topics):
    small_topic = topics(**{"max.message.bytes": "1000"})  # far below the client's limit (1 MB)
    # Delivery reports come for failed records only (delivery.report.only.error): the refusal must
    # still reach the caller, with where it happened.
    producer = RecordProducer(kafka_bootstrap, linger_ms=0, compression="none")
    producer.send(small_topic, b"MSCU1234566", b"x" * 5_000, partition=0)
    with pytest.raises(DeliveryError) as failed:
        producer.flush(30)
    assert failed.value.topic == small_topic
    assert failed.value.key == "MSCU1234566"
    assert "too large" in str(failed.value).lower()


def test_a_sticky_error_fails_every_flush_from_every_thread_and_every_later_send(kafka_bootstrap, topics):
    small_topic = topics(**{"max.message.bytes": "1000"})
    producer = RecordProducer(kafka_bootstrap, linger_ms=0, compression="none", sticky_errors=True)
    producer.send(small_topic, b"MSCU1234566", b"x" * 5_000, partition=0)
    raised: list[BaseException | None] = []

    def flush() -> None:
        try:
            producer.flush(30)
            raised.append(None)
        except BaseException as exc:
            raised.append(exc)

    threads = [threading.Thread(target=flush) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(raised) == 2
    assert all(isinstance(exc, DeliveryError) for exc in raised), raised
    with pytest.raises(DeliveryError):
        producer.send(small_topic, b"MSCU1234566", b"small", partition=0)
    with pytest.raises(DeliveryError):
        producer.flush(30)


def test_without_sticky_errors_the_error_is_raised_once(kafka_bootstrap, topics):
    small_topic = topics(**{"max.message.bytes": "1000"})
    producer = RecordProducer(kafka_bootstrap, linger_ms=0, compression="none")
    producer.send(small_topic, b"MSCU1234566", b"x" * 5_000, partition=0)
    with pytest.raises(DeliveryError):
        producer.flush(30)
    producer.send(small_topic, b"MSCU1234566", b"small", partition=0)
    producer.flush(30)  # the caller saw the loss and goes on


def test_every_record_is_acknowledged_by_the_flush(kafka_bootstrap, topics):
    topic = topics()
    producer = RecordProducer(kafka_bootstrap, linger_ms=5)
    for i in range(10_000):
        producer.send(topic, b"MSCU1234566", str(i).encode(), partition=0)
    producer.flush(60)
    c = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": "test-producer"})
    try:
        low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    finally:
        c.close()
    assert high - low == 10_000
