"""HTTP batch ingest: the real app over a real SQLite store in tmp_path, through starlette's TestClient."""

from __future__ import annotations

import dataclasses
import json
import threading
import time

import msgspec
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import services.ingest.http as http_mod
from cargotrail.cli.main import app as cli
from cargotrail.settings import Settings
from cargotrail.wiring import open_store
from services.ingest.auth import sign
from services.ingest.gateway import IngestGateway
from services.ingest.http import ENVELOPE_HEADER, create_app
from services.ingest.pipeline import load_registry, save_registry
from tests.conftest import reading

KEY = bytes(range(32))


@pytest.fixture
def settings(tmp_path) -> Settings:
    s = dataclasses.replace(Settings(), data_dir=tmp_path / "data")
    registry = load_registry(s.data_dir)
    registry.add_device("TRK-1", KEY)
    save_registry(s.data_dir, registry)
    return s


def client(settings: Settings, **kwargs) -> TestClient:
    return TestClient(create_app(IngestGateway(settings), **kwargs))


def batch(n: int, device: str = "TRK-1", first: int = 0) -> bytes:
    return msgspec.json.encode([reading(device=device, seq=first + i, minutes=i) for i in range(n)])


def counts(settings: Settings) -> dict[str, int]:
    store = open_store(settings)
    try:
        return store.counts()
    finally:
        store.close()


def dead_letters(settings: Settings):
    store = open_store(settings)
    try:
        return store.dead_letters(100)
    finally:
        store.close()


def envelope_header(body: bytes, *, seq: int = 1, key: bytes = KEY, device: str = "TRK-1") -> dict[str, str]:
    env = sign(key, device_id=device, seq=seq, ts=time.time(), nonce=f"n{seq}", body=body)
    return {ENVELOPE_HEADER: msgspec.json.encode(env).decode()}


def test_a_batch_is_answered_per_record_and_the_rejected_records_are_dead_lettered(settings):
    good = json.loads(batch(3))
    bad_lat = {**good[0], "seq": 10, "lat": 123.0}
    missing = {k: v for k, v in good[0].items() if k != "container_id"}
    body = json.dumps([good[0], bad_lat, good[1], missing, "not a reading", good[2]]).encode()
    with client(settings) as c:
        answer = c.post("/v1/readings", content=body)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["accepted"], result["rejected"]) == (3, 3)
    assert [r["index"] for r in result["rejections"]] == [1, 3, 4]
    assert result["rejections"][0]["field"] == "lat"
    assert "container_id" in result["rejections"][1]["reason"]
    assert all(r["reason"] for r in result["rejections"])
    assert counts(settings)["readings"] == 3  # the app's shutdown flushed the runtime
    letters = dead_letters(settings)
    assert len(letters) == 3 and all(d.rejection.reason and d.rejection.raw for d in letters)


def test_a_body_that_is_not_a_json_array_is_refused_whole_into_the_dlq(settings):
    with client(settings) as c:
        answer = c.post("/v1/readings", content=b'{"not": "an array"')
    assert answer.status_code == 400
    assert answer.json()["rejections"][0]["reason"].startswith("payload is not a JSON array")
    assert "status" not in answer.json()
    (letter,) = dead_letters(settings)
    assert (letter.rejection.source, letter.rejection.raw) == ("http", '{"not": "an array"')


def test_a_signed_batch_is_accepted_and_forged_replayed_unknown_and_malformed_ones_are_refused(settings):
    body = batch(2)
    with client(settings) as c:
        ok = c.post("/v1/readings", content=body, headers=envelope_header(body, seq=1))
        replay = c.post("/v1/readings", content=body, headers=envelope_header(body, seq=1))
        forged = c.post("/v1/readings", content=body, headers=envelope_header(body, seq=2, key=b"k" * 32))
        unknown = c.post("/v1/readings", content=body, headers=envelope_header(body, seq=3, device="TRK-9"))
        tampered = c.post("/v1/readings", content=batch(3), headers=envelope_header(body, seq=4))
        garbled = c.post("/v1/readings", content=body, headers={ENVELOPE_HEADER: "{nope"})
    assert ok.status_code == 200 and ok.json()["accepted"] == 2
    refused = {
        "seq": replay,
        "signature": forged,
        "device_id": unknown,
        "body": tampered,
        "envelope": garbled,
    }
    for field, answer in refused.items():
        assert answer.status_code == 401, field
        (rejection,) = answer.json()["rejections"]
        assert rejection["field"] == field and rejection["reason"]
    assert counts(settings)["readings"] == 2
    assert {d.rejection.field for d in dead_letters(settings)} == set(refused)


def test_a_signed_batch_may_only_carry_its_own_devices_readings(settings):
    records = json.loads(batch(2))
    records.insert(1, json.loads(batch(1, device="TRK-2", first=50))[0])
    body = json.dumps(records).encode()
    with client(settings) as c:
        answer = c.post("/v1/readings", content=body, headers=envelope_header(body))
    result = answer.json()
    assert answer.status_code == 200 and result["accepted"] == 2
    assert [(r["index"], r["field"]) for r in result["rejections"]] == [(1, "device_id")]


def test_unsigned_batches_are_refused_when_signatures_are_required(settings):
    with client(settings, require_signature=True) as c:
        unsigned = c.post("/v1/readings", content=batch(1))
        body = batch(1)
        signed = c.post("/v1/readings", content=body, headers=envelope_header(body))
    assert unsigned.status_code == 401 and unsigned.json()["rejections"][0]["field"] == "envelope"
    assert signed.status_code == 200 and signed.json()["accepted"] == 1


def test_an_oversized_body_is_refused(settings, monkeypatch):
    monkeypatch.setattr(http_mod, "MAX_BODY_BYTES", 100)
    with client(settings) as c:
        assert c.post("/v1/readings", content=batch(5)).status_code == 413
        assert c.get("/healthz").json() == {"status": "ok"}


def test_concurrent_requests_share_one_runtime_and_lose_nothing(settings):
    with client(settings) as c:
        answers: list[int] = []

        def send(k: int) -> None:
            r = c.post("/v1/readings", content=batch(20, device=f"TRK-C{k}"))
            answers.append(r.json()["accepted"])

        threads = [threading.Thread(target=send, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert sorted(answers) == [20] * 8
    assert counts(settings)["readings"] == 160


def test_the_server_command_is_registered():
    result = CliRunner().invoke(cli, ["ingest-server", "--help"])
    assert result.exit_code == 0 and "--port" in result.output
