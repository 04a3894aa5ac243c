"""The auditor's CLI: ``cargotrail verify`` and ``cargotrail proof export``, exit codes and output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner, Result

from cargotrail.cli.main import app
from ledger import keys
from ledger.core.batch import batch_id
from tests.cargotrail.audit.conftest import STREAM, DataSet
from tests.cargotrail.audit.tamper import edit_json_row, flip_digit, flip_hex, ids
from tests.streams import world

runner = CliRunner()


def cli(data: DataSet | Path, *args: str) -> Result:
    root = data.root if isinstance(data, DataSet) else data
    return runner.invoke(app, list(args), env={"CARGOTRAIL_DATA_DIR": str(root)})


def _reading(data: DataSet) -> str:
    return ids(data, "SELECT reading_id FROM readings WHERE container_id = ? ORDER BY ts", world.BOX)[0]


def test_verify_one_record(data: DataSet) -> None:
    rid = _reading(data)
    r = cli(data, "verify", "--record", rid)
    assert r.exit_code == 0, r.output
    assert f"verified reading record {rid}" in r.stdout
    r = cli(data, "verify", "--record", rid, "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["ok"] is True


def test_a_tampered_record_exits_1_with_the_problem(data: DataSet) -> None:
    rid = _reading(data)
    ((body,),) = data.sql("SELECT body FROM readings WHERE reading_id = ?", rid)
    data.sql("UPDATE readings SET body = ? WHERE reading_id = ?", flip_digit(bytes(body), "lat"), rid)
    r = cli(data, "verify", "--record", rid)
    assert r.exit_code == 1 and "FAILED" in r.stdout and f"leaf hash of record {rid}" in r.stdout
    out = json.loads(cli(data, "verify", "--record", rid, "--json").stdout)
    assert out["ok"] is False and out["record_id"] == rid and out["expected"] and out["found"]


def test_a_missing_record_or_data_dir_is_a_usage_error(data: DataSet, tmp_path: Path) -> None:
    r = cli(data, "verify", "--record", "nope")
    assert r.exit_code == 2 and "record nope is not in the store" in r.stderr
    r = cli(tmp_path / "empty", "verify", "--record", "nope")
    assert r.exit_code == 2 and "no store at" in r.stderr
    assert not (tmp_path / "empty").exists()  # verifying never creates a store or a ledger key


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--record", "a", "--container", "b"],
        ["--record", "a", "--from", "2026-01-01"],
        ["--container", "b", "--from", "yesterday"],
        ["--record", "a", "--public-key", "k.pem"],
    ],
)
def test_bad_option_combinations_exit_2(data: DataSet, args: list[str]) -> None:
    r = cli(data, "verify", *args)
    assert r.exit_code == 2 and "usage:" in r.stderr


def test_verify_a_whole_trail(data: DataSet) -> None:
    r = cli(data, "verify", "--container", world.BOX, "--from", "2026-03-01T00:00:00Z", "--to", "2026-03-04")
    assert r.exit_code == 0, r.output
    assert "Trail verification" in r.stdout and "OK" in r.stdout
    out = json.loads(cli(data, "verify", "--container", world.BOX, "--json").stdout)
    assert out["ok"] is True and out["failed"] == 0 and out["records"] == out["verified"] > 20
    r = cli(data, "verify", "--container", "MSCU0000000")
    assert r.exit_code == 2 and "no records of container MSCU0000000" in r.stderr


def test_a_broken_trail_prints_every_failure_and_chain_problem(data: DataSet) -> None:
    bid = batch_id(STREAM, 3)
    held = data.ledger.get(bid)
    assert held is not None
    edit_json_row(data, "anchors", "batch_id", bid, {"root": flip_hex(held.root)})
    r = cli(data, "verify", "--container", world.BOX)
    assert r.exit_code == 1 and "FAILED" in r.stdout
    assert f"root of batch {bid} in the store differs from the ledger" in r.stdout
    assert f"chain differs: batch {bid}: store: root of seq 3" in r.stdout
    out = json.loads(cli(data, "verify", "--container", world.BOX, "--json").stdout)
    assert out["ok"] is False and out["failed"] == len(out["failures"]) > 0
    assert out["chain_problems"][0]["expected"] == held.root and "message" in out["chain_problems"][0]


def test_a_broken_ledger_log_exits_1_naming_the_entry(data: DataSet) -> None:
    lines = data.log.read_text().splitlines()
    del lines[2]
    data.log.write_text("\n".join(lines) + "\n")
    r = cli(data, "verify", "--record", _reading(data))
    assert r.exit_code == 1 and "verification failed:" in r.stderr
    assert "local ledger entry 2" in r.stderr and batch_id(STREAM, 3) in r.stderr


def test_export_then_verify_a_bundle_offline(data: DataSet, tmp_path: Path) -> None:
    rid = _reading(data)
    r = cli(data, "proof", "export", rid)
    assert r.exit_code == 0, r.output
    bundle = tmp_path / "bundle.json"
    bundle.write_text(r.stdout)
    assert json.loads(r.stdout)["proof"]["record_id"] == rid
    assert cli(data, "verify", "--bundle", str(bundle)).exit_code == 0
    # Offline: another data directory, only the bundle and the public key file.
    pem = tmp_path / "ledger.pub.pem"
    pem.write_bytes((data.root / "ledger" / keys.PUBLIC_NAME).read_bytes())
    r = cli(tmp_path / "elsewhere", "verify", "--bundle", str(bundle), "--public-key", str(pem), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["ok"] is True
    pem.write_bytes(keys.public_pem(Ed25519PrivateKey.generate().public_key()))
    r = cli(tmp_path / "elsewhere", "verify", "--bundle", str(bundle), "--public-key", str(pem))
    assert r.exit_code == 1 and "Ed25519 signature" in r.stdout
    doc = json.loads(bundle.read_text())
    doc["proof"]["path"][0] = flip_hex(doc["proof"]["path"][0])
    bundle.write_text(json.dumps(doc))
    r = cli(data, "verify", "--bundle", str(bundle))
    assert r.exit_code == 1 and "Merkle root of batch" in r.stdout


def test_unreadable_bundles_and_exports_of_unknown_records_exit_2(data: DataSet, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = cli(data, "verify", "--bundle", str(bad))
    assert r.exit_code == 2 and "cannot read proof bundle" in r.stderr
    bad.write_text('{"bundle_version": 9}')
    r = cli(data, "verify", "--bundle", str(bad))
    assert r.exit_code == 2 and "unsupported proof bundle version 9" in r.stderr
    r = cli(data, "verify", "--bundle", str(tmp_path / "absent.json"))
    assert r.exit_code == 2
    r = cli(data, "proof", "export", "nope")
    assert r.exit_code == 2 and "record nope is not in the store" in r.stderr
