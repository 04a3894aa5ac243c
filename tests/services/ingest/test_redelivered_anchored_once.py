"""End to end: a reading delivered again (MQTT redelivery, an HTTP client's retry) is anchored once.

Over the real Mosquitto (``make mqtt-up``) and the real HTTP app into the embedded runtime: the store
ends with every reading once and as many proofs as records, an auditor's ``verify --container``
passes, and the runtime counted the copies it dropped.
"""

from __future__ import annotations

import dataclasses
import json
import time

import msgspec
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cargotrail.cli.main import app as cli
from cargotrail.contract.ids import reading_id
from cargotrail.contract.iso6346 import make_container_id
from cargotrail.contract.records import Reading
from cargotrail.settings import Settings
from cargotrail.wiring import open_store
from services.ingest.gateway import IngestGateway
from services.ingest.http import create_app
from services.ingest.mqtt import MqttIngest
from services.ingest.sinks import EmbeddedSink
from tests.conftest import reading
from tests.services.ingest.conftest import publish_and_take, redelivering
from tests.services.ingest.test_mqtt_redelivery import FailingSink

BOX = make_container_id("MSC", 3)


def anchored_once(settings: Settings, readings: list[Reading]) -> None:
    """Every reading stored once with a proof; as many proofs as records; the auditor's check passes."""
    store = open_store(settings)
    try:
        c = store.counts()
        missing = [r.seq for r in readings if store.proof(reading_id(r.device_id, r.seq)) is None]
    finally:
        store.close()
    assert c["readings"] == len({(r.device_id, r.seq) for r in readings})
    assert c["proofs"] == c["readings"] + c["rfid_reads"] + c["geofence_events"] + c["alerts"]
    assert missing == []
    env = {"CARGOTRAIL_DATA_DIR": str(settings.data_dir)}
    verified = CliRunner().invoke(cli, ["verify", "--container", BOX, "--json"], env=env)
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.stdout)
    assert report["ok"] and report["verified"] == report["records"] >= c["readings"]


def test_a_batch_posted_twice_over_http_is_anchored_once(tmp_path):
    settings = dataclasses.replace(Settings(), data_dir=tmp_path / "data")
    sink = EmbeddedSink(settings, clock=time.time)
    readings = [reading(BOX, device="TRK-H1", seq=i, minutes=i) for i in range(60)]
    body = msgspec.json.encode(readings)
    with TestClient(create_app(IngestGateway(settings, sink=sink))) as c:
        for _ in range(2):  # the client did not see the first answer and retries
            answer = c.post("/v1/readings", content=body)
            assert answer.status_code == 200, answer.text
        answer = c.post("/v1/readings", content=msgspec.json.encode(readings[:5]))  # and much later
        assert answer.status_code == 200, answer.text
    assert sink.runtime.counters.duplicates == len(readings) + 5
    anchored_once(settings, readings)


@pytest.mark.integration
def test_mqtt_messages_redelivered_after_they_were_stored_are_anchored_once(broker, tmp_path):
    settings = dataclasses.replace(Settings(), data_dir=tmp_path / "data")
    failures = 6
    # The sink takes each message (stored, in the inbox) and then fails to confirm it, six times:
    # Mosquitto delivers those messages again, and their readings arrive a second time.
    embedded = EmbeddedSink(settings, clock=time.time)
    sink = FailingSink(embedded, failures, on="flush")
    gateway = IngestGateway(settings, sink=sink)
    config, prefix = redelivering(broker, "anchored-once")
    ingest = MqttIngest(gateway, config)
    ingest.start()
    readings = [reading(BOX, device="TRK-Q1", seq=i, minutes=i) for i in range(40)]
    messages = [(f"{prefix}/TRK-Q1", msgspec.json.encode(r)) for r in readings[:20]]
    messages += [(f"{prefix}/TRK-Q1", msgspec.json.encode(readings[i : i + 5])) for i in range(20, 40, 5)]
    try:
        publish_and_take(broker, messages, ingest)
    finally:
        ingest.stop()
        gateway.close()
    assert sink.left == 0 and ingest.deferred >= failures  # messages taken, unconfirmed, delivered again
    assert embedded.runtime.counters.duplicates >= failures  # ...and each of their readings dropped
    anchored_once(settings, readings)
