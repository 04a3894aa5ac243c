"""No loss on MQTT when the sink fails: unacknowledged messages come back from the real Mosquitto.

The sink is our own seam (not the named server): ``FailingSink`` raises the real ``StoreUnavailable``
when taking a message, or the real ``DeliveryError`` when flushing what it took (as Kafka does when
the broker never acknowledged), for its first calls; then it hands everything to the embedded
runtime over a real store.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence

import msgspec
import pytest

from cargotrail.contract.iso6346 import make_container_id
from cargotrail.contract.records import Reading
from cargotrail.contract.validate import Rejection
from cargotrail.errors import StoreUnavailable
from cargotrail.kafka.errors import DeliveryError
from cargotrail.settings import Settings
from cargotrail.wiring import open_store
from services.ingest.auth import sign
from services.ingest.gateway import IngestGateway
from services.ingest.mqtt import MqttIngest
from services.ingest.pipeline import load_registry, save_registry
from services.ingest.sinks import EmbeddedSink
from tests.conftest import reading
from tests.services.ingest.conftest import publish_and_take, redelivering

pytestmark = pytest.mark.integration

KEY = bytes(range(32))
OTHER = make_container_id("MSC", 2)  # the batches' container


class FailingSink:
    """Fails its first ``failures`` calls of one kind (``on``: taking a message, or flushing)."""

    def __init__(self, inner: EmbeddedSink, failures: int, *, on: str) -> None:
        self.inner = inner
        self.left = failures
        self.on = on

    def _maybe_fail(self, call: str) -> None:
        if call == self.on and self.left > 0:
            self.left -= 1
            if call == "flush":
                raise DeliveryError("delivery failed: broker unreachable (injected)", topic="telemetry")
            raise StoreUnavailable("store unreachable (injected)")

    def accept(self, readings: Sequence[Reading], now_s: float) -> None:
        self._maybe_fail("take")
        self.inner.accept(readings, now_s)

    def dead_letter(self, rejections: Sequence[Rejection], now_s: float) -> None:
        self._maybe_fail("take")
        self.inner.dead_letter(rejections, now_s)

    def flush(self) -> None:
        self._maybe_fail("flush")
        self.inner.flush()

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize("on", ["take", "flush"])
def test_messages_a_failing_sink_did_not_hold_are_redelivered_and_stored_exactly_once(broker, tmp_path, on):
    settings = dataclasses.replace(Settings(), data_dir=tmp_path / "data")
    registry = load_registry(settings.data_dir)
    registry.add_device("TRK-R0", KEY)
    save_registry(settings.data_dir, registry)
    failures = 6
    sink = FailingSink(EmbeddedSink(settings, clock=time.time), failures, on=on)
    gateway = IngestGateway(settings, sink=sink)
    config, prefix = redelivering(broker, "redeliver")
    ingest = MqttIngest(gateway, config)
    ingest.start()
    # First a signed message (its redelivery must not be taken for a replay), then an invalid one
    # (dead-lettered once, whatever the failures), then single readings and batches, in time order
    # (the embedded runtime's watermark would find older readings late).
    signed_body = msgspec.json.encode(reading(device="TRK-R0", seq=1))
    env = sign(KEY, device_id="TRK-R0", seq=1, ts=time.time(), nonce="r1", body=signed_body)
    bad = json.loads(msgspec.json.encode(reading(device="TRK-R1", seq=999)))
    bad["lat"] = 123.0
    messages: list[tuple[str, bytes]] = [
        (f"{prefix}/TRK-R0", msgspec.json.encode({"envelope": env, "body": signed_body.decode()})),
        (f"{prefix}/TRK-R1", json.dumps(bad).encode()),
    ]
    expected = {("TRK-R0", 1)}
    for i in range(40):
        messages.append((f"{prefix}/TRK-R1", msgspec.json.encode(reading(device="TRK-R1", seq=i, minutes=i))))
        expected.add(("TRK-R1", i))
    for b in range(5):
        batch = [reading(OTHER, device="TRK-R2", seq=b * 10 + i, minutes=40 + b * 10 + i) for i in range(10)]
        messages.append((f"{prefix}/TRK-R2", msgspec.json.encode(batch)))
        expected.update(("TRK-R2", r.seq) for r in batch)
    try:
        publish_and_take(broker, messages, ingest)
    finally:
        ingest.stop()
        gateway.close()
    assert sink.left == 0  # every injected failure happened
    assert ingest.deferred >= failures  # ...and left its message unacknowledged
    assert (ingest.handled, ingest.accepted, ingest.rejected) == (len(messages), len(expected), 1)
    store = open_store(settings)
    try:
        stored = [
            (r.device_id, r.seq)
            for container in (reading().container_id, OTHER)
            for r in store.track(container, 0.0, 4_000_000_000.0, max_points=10_000)
        ]
        letters = store.dead_letters(100)
    finally:
        store.close()
    assert sorted(stored) == sorted(expected)  # every reading, each once
    refused = [(d.rejection.record, d.rejection.field) for d in letters]
    # A dead letter is final once written: a failed take never wrote it, so it is there once; a
    # failed flush may follow its write, and the redelivered message writes it again (at least once).
    assert set(refused) == {(f"{bad['container_id']}/TRK-R1#999", "lat")}
    if on == "take":
        assert len(refused) == 1
