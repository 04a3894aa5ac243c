"""MQTT ingest over the real Mosquitto broker of `make mqtt-up` (CARGOTRAIL_TEST_MQTT and credentials).

Fails, never skips, when the broker is unreachable: `make test` starts it.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from cargotrail.settings import Settings
from cargotrail.wiring import open_store
from services.ingest.auth import sign, sign_ed25519
from services.ingest.gateway import IngestGateway
from services.ingest.mqtt import TOPIC_PREFIX, MqttIngest
from services.ingest.pipeline import load_registry, save_registry
from tests.conftest import reading
from tests.services.ingest.conftest import WAIT_S, publisher, wait_until

pytestmark = pytest.mark.integration


def test_valid_messages_are_processed_and_each_malformed_one_is_dead_lettered(broker, tmp_path):
    settings = dataclasses.replace(Settings(), data_dir=tmp_path / "data")
    gateway = IngestGateway(settings)
    ingest = MqttIngest(gateway, dataclasses.replace(broker, client_id=f"test-ingest-{uuid.uuid4().hex[:8]}"))
    ingest.start()
    valid = [reading(device="TRK-M1", seq=i, minutes=i) for i in range(20)]
    batch = [reading(device="TRK-M2", seq=i, minutes=i) for i in range(30)]
    messages: list[tuple[str, bytes]] = [(f"{TOPIC_PREFIX}/TRK-M1", msgspec.json.encode(r)) for r in valid]
    messages.append((f"{TOPIC_PREFIX}/TRK-M2", msgspec.json.encode(batch)))
    one = json.loads(msgspec.json.encode(valid[0]))
    malformed: list[tuple[str, bytes, str]] = [  # topic, payload, the field of the rejection
        (f"{TOPIC_PREFIX}/TRK-M1", b"\xff\xfe not json", ""),
        (f"{TOPIC_PREFIX}/TRK-M1", json.dumps({**one, "seq": 99, "lat": 91.5}).encode(), "lat"),
        (f"{TOPIC_PREFIX}/TRK-M1", json.dumps({**one, "seq": 98, "ts": "yesterday"}).encode(), "ts"),
        (f"{TOPIC_PREFIX}/TRK-M3", msgspec.json.encode(valid[1]), "device_id"),  # not the topic's device
        (f"{TOPIC_PREFIX}/TRK-M1/extra", msgspec.json.encode(valid[2]), "topic"),
    ]
    pub = publisher(broker)
    pub.connect(broker.host, broker.port, keepalive=30)
    pub.loop_start()
    try:
        infos = [pub.publish(t, p, qos=1) for t, p in messages]
        infos += [pub.publish(t, p, qos=1) for t, p, _ in malformed]
        for info in infos:
            info.wait_for_publish(timeout=WAIT_S)
        total = len(messages) + len(malformed)
        wait_until(lambda: ingest.handled >= total, f"{total} messages to be ingested")
    finally:
        pub.disconnect()
        pub.loop_stop()
        ingest.stop()
        gateway.close()
    assert (ingest.accepted, ingest.rejected) == (len(valid) + len(batch), len(malformed))
    store = open_store(settings)
    try:
        assert store.counts()["readings"] == len(valid) + len(batch)
        letters = store.dead_letters(100)
    finally:
        store.close()
    assert len(letters) == len(malformed)
    assert all(d.rejection.reason for d in letters)
    fields = sorted(d.rejection.field for d in letters)
    assert fields == sorted(f for _, _, f in malformed)


def test_wrong_credentials_are_refused_with_the_brokers_reason(broker, tmp_path):
    gateway = IngestGateway(dataclasses.replace(Settings(), data_dir=tmp_path / "data"))
    try:
        config = dataclasses.replace(broker, password="wrong", client_id=f"test-bad-{uuid.uuid4().hex[:8]}")
        with pytest.raises(ConnectionError, match="refused"):
            MqttIngest(gateway, config).start()
    finally:
        gateway.close()


KEY = bytes(range(32))


def signed(
    body: bytes,
    *,
    seq: int,
    key: bytes = KEY,
    device: str = "TRK-S1",
    ts: float | None = None,
    sent: bytes = b"",
) -> bytes:
    """The wrapper a signing device publishes (``sent``: another body than the signed one)."""
    when = time.time() if ts is None else ts
    env = sign(key, device_id=device, seq=seq, ts=when, nonce=f"n{seq}", body=body)
    return msgspec.json.encode({"envelope": env, "body": (sent or body).decode()})


ED_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def ed_signed(body: bytes, key: Ed25519PrivateKey, *rest: str) -> tuple:
    """(topic, the wrapper of an Ed25519 device TRK-S2, *rest)."""
    env = sign_ed25519(key, device_id="TRK-S2", seq=1, ts=time.time(), nonce="e1", body=body)
    return (f"{TOPIC_PREFIX}/TRK-S2", msgspec.json.encode({"envelope": env, "body": body.decode()}), *rest)


def test_signed_messages_are_verified_and_forged_replayed_or_unknown_ones_refused(broker, tmp_path):
    settings = dataclasses.replace(Settings(), data_dir=tmp_path / "data")
    registry = load_registry(settings.data_dir)
    registry.add_device("TRK-S1", KEY)
    registry.add_ed25519_device("TRK-S2", ED_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    save_registry(settings.data_dir, registry)
    gateway = IngestGateway(settings)
    config = dataclasses.replace(
        broker, client_id=f"test-signed-{uuid.uuid4().hex[:8]}", require_signature=True
    )
    ingest = MqttIngest(gateway, config)
    ingest.start()
    topic = f"{TOPIC_PREFIX}/TRK-S1"
    one = msgspec.json.encode(reading(device="TRK-S1", seq=1))
    batch = msgspec.json.encode([reading(device="TRK-S1", seq=i, minutes=i) for i in range(2, 6)])
    ed_one = msgspec.json.encode(reading(device="TRK-S2", seq=1))
    accepted = [(topic, signed(one, seq=1)), (topic, signed(batch, seq=2)), ed_signed(ed_one, ED_KEY)]
    refused: list[tuple[str, bytes, str]] = [  # topic, payload, the field of the refusal
        (topic, signed(one, seq=1), "seq"),  # the same message again: a replay
        (topic, signed(one, seq=3, key=b"k" * 32), "signature"),  # forged: another key
        (f"{TOPIC_PREFIX}/TRK-X", signed(one, seq=4, device="TRK-X"), "device_id"),  # unknown device
        (f"{TOPIC_PREFIX}/TRK-X", signed(one, seq=5), "device_id"),  # TRK-S1's envelope on TRK-X's topic
        (topic, signed(one, seq=6, ts=time.time() - 3600), "ts"),  # outside the time window
        (
            topic,
            signed(one, seq=7, sent=one.replace(b'"seq":1', b'"seq":9')),
            "body",
        ),  # changed after signing
        (topic, one, "envelope"),  # unsigned, and signatures are required
        (topic, b'{"envelope": {"device_id": 5}, "body": "[]"}', "envelope"),  # malformed envelope
        ed_signed(ed_one, Ed25519PrivateKey.generate(), "signature"),  # Ed25519, another private key
    ]
    pub = publisher(broker)
    pub.connect(broker.host, broker.port, keepalive=30)
    pub.loop_start()
    try:
        for t, payload in accepted:  # in order: the replay below must come after its original
            pub.publish(t, payload, qos=1).wait_for_publish(timeout=WAIT_S)
        wait_until(lambda: ingest.handled >= len(accepted), "the signed messages to be ingested")
        for t, payload, _ in refused:
            pub.publish(t, payload, qos=1).wait_for_publish(timeout=WAIT_S)
        total = len(accepted) + len(refused)
        wait_until(lambda: ingest.handled >= total, f"{total} messages to be handled")
    finally:
        pub.disconnect()
        pub.loop_stop()
        ingest.stop()
        gateway.close()
    assert (ingest.accepted, ingest.rejected) == (6, len(refused))
    store = open_store(settings)
    try:
        assert store.counts()["readings"] == 6
        letters = store.dead_letters(100)
    finally:
        store.close()
    assert sorted(d.rejection.field for d in letters) == sorted(f for _, _, f in refused)
    assert all(d.rejection.reason and d.rejection.source == "mqtt" for d in letters)
