"""``cargotrail ingest``, ``dlq list|replay`` and ``devices`` through typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cargotrail.cli.main import app
from cargotrail.settings import Settings
from cargotrail.wiring import open_store
from tests.conftest import SHARED_DATA

BOX = "CSQU3054383"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("CARGOTRAIL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CARGOTRAIL_STORE_URL", raising=False)
    monkeypatch.delenv("CARGOTRAIL_LEDGER", raising=False)
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def counts() -> dict[str, int]:
    store = open_store(Settings.from_env())
    try:
        return store.counts()
    finally:
        store.close()


def test_nmea_file_is_ingested_with_rejections_in_the_dlq(env):
    assert run("devices", "bind", "GPS-1", BOX).exit_code == 0
    result = run(
        "ingest", str(SHARED_DATA / "nmea" / "data.log"), "--format", "nmea", "--device", "GPS-1", "--json"
    )
    assert result.exit_code == 1, result.output  # some lines were rejected
    report = json.loads(result.stdout)
    assert (report["accepted"], report["rejected"], report["skipped"]) == (1, 1, 3)
    assert "not an NMEA" in report["rejections"][0]["reason"]
    assert counts()["readings"] == 1 and counts()["dead_letters"] == 1
    listed = json.loads(run("dlq", "list", "--json").stdout)
    assert [(d["source"], d["raw"], d["replayed"]) for d in listed] == [("nmea", "foobar", False)]


def test_nmea_needs_a_device(env):
    result = run("ingest", str(SHARED_DATA / "nmea" / "data.log"), "--format", "nmea")
    assert result.exit_code == 2 and "--device" in result.stderr


def test_ais_stream_counts_and_plain_report(env):
    assert run("devices", "manifest", "235070716", BOX).exit_code == 0
    result = run("ingest", str(SHARED_DATA / "ais" / "nmea_data_sample.txt"), "--format", "ais")
    first = result.stdout.splitlines()[0]
    assert first.startswith("accepted ") and "rejected 20" in first
    assert "incomplete multi-part message" in result.stdout
    assert counts()["readings"] == int(first.split()[1].rstrip(","))


def test_epcis_association_then_sensor_data_in_two_files(env, tmp_path):
    doc = json.loads((SHARED_DATA / "epcis" / "SensorDataExample14.jsonld").read_bytes())
    doc["epcisBody"]["eventList"][0]["epcList"] = [f"urn:bic:{BOX}"]
    path = tmp_path / "gps.jsonld"
    path.write_text(json.dumps(doc))
    report = json.loads(run("ingest", str(path), "--format", "epcis", "--json").stdout)
    assert report["accepted"] == 1 and report["rejected"] == 0
    for example in sorted((SHARED_DATA / "epcis").glob("*.jsonld")):
        result = run("ingest", str(example), "--format", "epcis", "--json")
        assert result.exit_code in (0, 1), result.output
        data = json.loads(result.stdout)
        assert all(r["reason"] for r in data["rejections"]) and all(s["reason"] for s in data["skips"])


def test_a_corrected_json_dead_letter_is_replayed_once(env, tmp_path):
    good = {
        "type": "reading",
        "device_id": "T-1",
        "container_id": BOX,
        "seq": 1,
        "ts": "2026-03-02T10:00:00Z",
        "lat": 51.9,
        "lon": 4.1,
    }
    bad = {**good, "seq": 2, "lat": 123.0}
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps([good, bad]))
    report = json.loads(run("ingest", str(batch), "--format", "json", "--json").stdout)
    assert (report["accepted"], report["rejected"]) == (1, 1) and report["rejections"][0]["field"] == "lat"
    (letter,) = json.loads(run("dlq", "list", "--json").stdout)
    again = run("dlq", "replay", "--id", str(letter["id"]), "--json")
    assert again.exit_code == 1 and counts()["dead_letters"] == 1  # still wrong: left as it was
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps([{**bad, "lat": 52.0}]))
    replayed = run("dlq", "replay", "--id", str(letter["id"]), "--payload", str(fixed), "--json")
    assert replayed.exit_code == 0, replayed.output
    assert json.loads(replayed.stdout)[0]["accepted"] == 1
    assert counts()["readings"] == 2
    assert json.loads(run("dlq", "list", "--json").stdout)[0]["replayed"] is True
    assert json.loads(run("dlq", "replay", "--json").stdout) == []  # nothing pending any more


def test_devices_add_prints_a_key_and_bad_containers_are_refused(env):
    result = run("devices", "add", "TRK-7")
    assert result.exit_code == 0 and len(result.stdout.strip()) == 64
    assert run("devices", "bind", "TRK-7", "CSQU3054384").exit_code == 2
    assert run("devices", "manifest", "1", "NOPE").exit_code == 2


def test_an_nmea_stream_needs_its_device_and_a_busy_port_is_a_usage_error(env):
    import socket

    assert "--nmea-tcp" in run("ingest-server", "--help").output
    unbound = run("ingest-server", "--nmea-tcp", "0")
    assert unbound.exit_code == 2 and "--nmea-device" in unbound.output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        busy = run("ingest-server", "--nmea-device", "GPS-1", "--nmea-tcp", port, "--port", "0")
    assert busy.exit_code == 2 and "error" in busy.output


def test_an_ed25519_device_is_registered_by_its_public_key(env):
    from services.ingest.pipeline import load_registry

    public = bytes(range(32))
    assert run("devices", "add", "TRK-E", "--ed25519-public-key", public.hex()).exit_code == 0
    assert load_registry(env / "data").public_keys == {"TRK-E": public}
    bad = run("devices", "add", "TRK-F", "--ed25519-public-key", "zz")
    assert bad.exit_code == 2 and "hex" in bad.output


def test_a_kafka_direct_dead_letter_is_replayed_as_one_json_reading(env):
    import msgspec

    from cargotrail.contract.validate import Rejection
    from tests.conftest import reading

    value = msgspec.json.encode(reading(seq=3)).decode()
    letter = Rejection(
        source="kafka", position=7, record="t[0]@7", field="lat", reason="x", raw=value.replace("51.9", '"N"')
    )
    store = open_store(Settings.from_env())
    try:
        with store.unit_of_work():
            store.write_dead_letters([letter], 0.0)
    finally:
        store.close()
    refused = run("dlq", "replay", "--json")  # as it was: refused again, and it stays
    assert refused.exit_code == 1 and json.loads(refused.stdout)[0]["rejections"][0]["field"] == "lat"
    fixed = env / "fixed.json"
    fixed.write_text(f"[{value}]")
    letter_id = str(json.loads(run("dlq", "list", "--json").stdout)[0]["id"])
    replayed = run("dlq", "replay", "--id", letter_id, "--payload", str(fixed), "--json")
    assert replayed.exit_code == 0 and json.loads(replayed.stdout)[0]["accepted"] == 1
    assert counts()["readings"] == 1
