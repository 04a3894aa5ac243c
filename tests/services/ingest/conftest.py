"""Real servers for the ingest transports: Kafka (CARGOTRAIL_TEST_KAFKA) and Mosquitto (CARGOTRAIL_TEST_MQTT).

A missing server is a failure, never a skip: `make test` starts them (`make kafka-up`, `make mqtt-up`).
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import paho.mqtt.client as mqtt
import pytest
from confluent_kafka import Consumer, Message
from paho.mqtt.enums import CallbackAPIVersion

from cargotrail.kafka.topics import Namespace, delete_namespace, ensure_topics
from services.ingest.kafka_direct import ensure_raw_topic
from services.ingest.mqtt import MqttConfig, MqttIngest

MQTT_ENV = "CARGOTRAIL_TEST_MQTT"
WAIT_S = 90.0  # a bound on waiting for delivery, never an assertion on time


@pytest.fixture(scope="session")
def kafka(kafka_bootstrap: str) -> str:
    return kafka_bootstrap


@pytest.fixture
def namespace(kafka: str) -> Iterator[Namespace]:
    """A fresh topic namespace (2 partitions) with the raw ingest topic, deleted afterwards."""
    ns = Namespace(f"t-ingest-{uuid.uuid4().hex[:10]}", partitions=2)
    ensure_topics(kafka, ns)
    ensure_raw_topic(kafka, ns)
    yield ns
    delete_namespace(kafka, ns)


def drain(bootstrap: str, topic: str, expected: int, *, keep: Callable[[Message], bool] = lambda m: True):
    """Every message of ``topic`` that ``keep`` accepts, once ``expected`` of them arrived (or fail)."""
    c = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"drain-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    c.subscribe([topic])
    got: list[Message] = []
    deadline = time.monotonic() + WAIT_S
    try:
        while len(got) < expected:
            if time.monotonic() > deadline:
                pytest.fail(f"{topic}: {len(got)} of {expected} messages arrived")
            got += [m for m in c.consume(5000, 0.5) if m.error() is None and keep(m)]
        got += [m for m in c.consume(5000, 1.0) if m.error() is None and keep(m)]  # nothing more
    finally:
        c.close()
    return got


@pytest.fixture(scope="session")
def broker() -> MqttConfig:
    address = os.environ.get(MQTT_ENV, "127.0.0.1:51883")
    config = MqttConfig.from_address(
        address,
        username=os.environ.get("CARGOTRAIL_TEST_MQTT_USER", "cargotrail"),
        password=os.environ.get("CARGOTRAIL_TEST_MQTT_PASSWORD", "cargotrail-mqtt"),
        connect_timeout_s=5.0,
        session_expiry_s=120,  # a test's session (and what the broker queues for it) soon goes away
    )
    probe = publisher(config)
    try:
        probe.connect(config.host, config.port, keepalive=10)
    except OSError as exc:
        pytest.fail(f"no MQTT broker at {MQTT_ENV}={address} ({exc}): start it with `make mqtt-up`")
    probe.disconnect()
    return config


def redelivering(broker: MqttConfig, name: str) -> tuple[MqttConfig, str]:
    """A subscriber's configuration (and its topic prefix) for the redelivery tests: a topic of its
    own on the shared broker, up to 5 messages in flight, quick retries."""
    prefix = f"test-{uuid.uuid4().hex[:8]}/readings"  # no other test's messages on the shared broker
    config = dataclasses.replace(
        broker,
        client_id=f"test-{name}-{uuid.uuid4().hex[:8]}",
        topic_prefix=prefix,
        inflight=5,
        retry_min_s=0.05,
        retry_max_s=1.0,
    )
    return config, prefix


def publish_and_take(broker: MqttConfig, messages: list[tuple[str, bytes]], ingest: MqttIngest) -> None:
    """Publish ``messages`` at QoS 1 and wait until ``ingest`` has handled as many (its acks aside)."""
    pub = publisher(broker)
    pub.connect(broker.host, broker.port, keepalive=30)
    pub.loop_start()
    try:
        for info in [pub.publish(t, p, qos=1) for t, p in messages]:
            info.wait_for_publish(timeout=WAIT_S)
        wait_until(lambda: ingest.handled >= len(messages), f"{len(messages)} messages to be taken")
    finally:
        pub.disconnect()
        pub.loop_stop()


def publisher(config: MqttConfig) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-pub-{uuid.uuid4().hex[:8]}")
    client.username_pw_set(config.username, config.password)
    client.connect_timeout = config.connect_timeout_s
    return client


def wait_until(condition: Callable[[], bool], what: str) -> None:
    pause = threading.Event()
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        pause.wait(0.05)
