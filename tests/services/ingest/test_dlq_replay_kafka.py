"""``cargotrail dlq replay --kafka``: a corrected dead letter reaches the real broker's telemetry topic.

The dead letter comes from a Kafka deployment (source ``kafka``, in the store's table where the
Kafka runtime's sink keeps them); it is replayed through the same sink choice as ingest-server.
"""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from cargotrail.cli.main import app
from cargotrail.contract.records import Reading
from cargotrail.contract.validate import Rejection
from cargotrail.kafka.codec import decode_input
from cargotrail.settings import Settings
from cargotrail.wiring import open_store
from tests.services.ingest.conftest import drain

pytestmark = pytest.mark.integration

BOX = "CSQU3054383"


def test_a_corrected_kafka_dead_letter_is_replayed_to_the_telemetry_topic(
    kafka, namespace, tmp_path, monkeypatch
):
    monkeypatch.setenv("CARGOTRAIL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CARGOTRAIL_KAFKA_PREFIX", namespace.prefix)
    monkeypatch.setenv("CARGOTRAIL_KAFKA_PARTITIONS", str(namespace.partitions))
    monkeypatch.delenv("CARGOTRAIL_STORE_URL", raising=False)
    monkeypatch.delenv("CARGOTRAIL_LEDGER", raising=False)
    good = {
        "type": "reading",
        "device_id": "T-K1",
        "container_id": BOX,
        "seq": 7,
        "ts": "2026-03-02T10:00:00Z",
        "lat": 51.9,
        "lon": 4.1,
    }
    bad = {**good, "lat": 123.0}
    store = open_store(Settings.from_env())
    try:
        with store.unit_of_work():
            rejection = Rejection(
                source="kafka",
                position=3,
                record=f"{BOX}/T-K1#7",
                field="lat",
                reason="lat 123.0 is outside [-90, 90]",
                raw=json.dumps(bad),
            )
            store.write_dead_letters([rejection], time.time())
        (letter,) = store.dead_letters(10)
    finally:
        store.close()
    cli = CliRunner()
    still_bad = cli.invoke(app, ["dlq", "replay", "--id", str(letter.id), "--kafka", kafka, "--json"])
    assert still_bad.exit_code == 1, still_bad.output  # rejected again: nothing sent, not marked
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps([{**bad, "lat": 52.0}]))
    args = ["dlq", "replay", "--id", str(letter.id), "--payload", str(fixed), "--kafka", kafka, "--json"]
    replayed = cli.invoke(app, args)
    assert replayed.exit_code == 0, replayed.output
    assert json.loads(replayed.stdout)[0]["accepted"] == 1
    (message,) = drain(kafka, namespace.telemetry, 1, keep=lambda m: m.key() == BOX.encode())
    sent = decode_input(message.value(), message.headers() or [])
    assert isinstance(sent, Reading)
    assert (sent.device_id, sent.seq, sent.lat) == ("T-K1", 7, 52.0)
    listed = json.loads(cli.invoke(app, ["dlq", "list", "--json"]).stdout)
    assert [(d["id"], d["raw"], d["replayed"]) for d in listed] == [(letter.id, rejection.raw, True)]
    store = open_store(Settings.from_env())
    try:
        assert store.counts()["readings"] == 0  # it went to Kafka, not into the embedded store
    finally:
        store.close()
