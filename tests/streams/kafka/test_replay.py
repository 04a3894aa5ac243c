"""Where a rebuild resumes, read from the real broker's group coordinator."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic  # where the type stubs declare it

from streams.runtimes.kafka.replay import committed_offset

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
