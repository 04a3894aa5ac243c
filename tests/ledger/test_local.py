"""The local ledger: chain, signatures, idempotence, refusals, restart, tampering."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import msgspec
import pytest
from msgspec.structs import replace

from cargotrail.contract.records import LedgerKind
from cargotrail.errors import LedgerError, VerificationError
from ledger import keys
from ledger.base import Ledger
from ledger.core.batch import BatchHeader, chain_check
from ledger.local import LOG_NAME, LocalLedger, _entry_hash
from tests.ledger.test_batch_chain import chain


def _anchored(tmp_path: Path, n: int = 3) -> LocalLedger:
    led = LocalLedger(tmp_path)
    for h in chain(n):
        led.anchor(h)
    return led


def test_anchor_get_list_and_receipt(tmp_path: Path) -> None:
    led: Ledger = LocalLedger(tmp_path)
    hs = chain(3)
    receipts = [led.anchor(h) for h in hs]
    assert [r.block for r in receipts] == [0, 1, 2]
    assert all(r.ledger is LedgerKind.LOCAL and len(r.tx_id) == 64 for r in receipts)
    assert led.get(hs[1].batch_id) == receipts[1]
    assert led.get("nope") is None
    assert led.list("telemetry") == hs
    assert led.list("telemetry", after_seq=0, limit=1) == [hs[1]]
    assert led.tip("telemetry") == hs[2] and led.tip("other") is None
    assert chain_check(led.list("telemetry")) == []
    for r in receipts:
        led.verify_entry(r)


def test_reanchor_identical_is_idempotent_different_root_refused(tmp_path: Path) -> None:
    led = LocalLedger(tmp_path)
    hs = chain(2)
    first = led.anchor(hs[0])
    assert led.anchor(hs[0]) == first
    forged = replace(hs[0], root="ab" * 32)
    with pytest.raises(LedgerError, match="already anchored") as err:
        led.anchor(forged)
    assert err.value.batch_id == hs[0].batch_id and err.value.tx_id == first.tx_id
    assert len((tmp_path / LOG_NAME).read_text().splitlines()) == 1


def test_wrong_prev_root_and_gap_refused(tmp_path: Path) -> None:
    led = LocalLedger(tmp_path)
    hs = chain(4)
    led.anchor(hs[0])
    with pytest.raises(LedgerError, match="seq"):
        led.anchor(hs[2])  # gap: seq 1 missing
    wrong = replace(hs[1], prev_root="cd" * 32)
    with pytest.raises(LedgerError, match="prev_root") as err:
        led.anchor(wrong)
    assert hs[0].root in str(err.value) and err.value.batch_id == hs[1].batch_id


def test_restart_keeps_chain_and_key(tmp_path: Path) -> None:
    led = _anchored(tmp_path, 3)
    pem = led.public_key_pem
    again = LocalLedger(tmp_path)
    assert again.public_key_pem == pem
    assert again.list("telemetry") == chain(3)
    r = again.anchor(chain(4)[3])
    assert r.block == 3
    again.verify_log()
    assert (tmp_path / keys.PUBLIC_NAME).read_bytes() == pem


def test_key_file_permissions(tmp_path: Path) -> None:
    LocalLedger(tmp_path)
    private = tmp_path / keys.PRIVATE_NAME
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    os.chmod(private, 0o644)
    with pytest.raises(LedgerError, match="0600"):
        LocalLedger(tmp_path)


def _rewrite_line(path: Path, n: int, change: dict[str, object]) -> None:
    lines = path.read_text().splitlines()
    entry = json.loads(lines[n])
    for k, v in change.items():
        if k.startswith("header."):
            entry["header"][k.split(".", 1)[1]] = v
        else:
            entry[k] = v
    lines[n] = json.dumps(entry)
    path.write_text("\n".join(lines) + "\n")


def test_tampered_root_detected_with_entry_named(tmp_path: Path) -> None:
    _anchored(tmp_path, 3)
    _rewrite_line(tmp_path / LOG_NAME, 1, {"header.root": "ee" * 32})
    with pytest.raises(VerificationError, match="entry 1") as err:
        LocalLedger(tmp_path)
    assert "entry hash" in err.value.what and chain(3)[1].batch_id in err.value.what


def test_rehashed_entry_fails_signature(tmp_path: Path) -> None:
    _anchored(tmp_path, 2)
    log = tmp_path / LOG_NAME
    entry = json.loads(log.read_text().splitlines()[1])
    entry["header"]["root"] = "ee" * 32
    forged_hash = _entry_hash(1, entry["prev_hash"], msgspec.convert(entry["header"], BatchHeader))
    _rewrite_line(log, 1, {"header.root": "ee" * 32, "hash": forged_hash})
    with pytest.raises(VerificationError, match="signature"):
        LocalLedger(tmp_path)


def test_dropped_and_reordered_lines_detected(tmp_path: Path) -> None:
    _anchored(tmp_path, 3)
    log = tmp_path / LOG_NAME
    lines = log.read_text().splitlines()
    log.write_text("\n".join([lines[0], lines[2]]) + "\n")
    with pytest.raises(VerificationError, match="entry 1"):
        LocalLedger(tmp_path)
    log.write_text("\n".join([lines[1], lines[0], lines[2]]) + "\n")
    with pytest.raises(VerificationError, match="entry 0"):
        LocalLedger(tmp_path)


def test_verify_entry_detects_a_doctored_receipt(tmp_path: Path) -> None:
    led = _anchored(tmp_path, 2)
    r = led.get(chain(2)[1].batch_id)
    assert r is not None
    doctored = replace(r, root="00" * 32)
    with pytest.raises(VerificationError, match="root of batch") as err:
        led.verify_entry(doctored)
    assert err.value.expected == r.root
    with pytest.raises(VerificationError, match="absent"):
        led.verify_entry(replace(r, batch_id="x"))


def test_torn_last_line_is_cut_complete_entries_kept(tmp_path: Path) -> None:
    _anchored(tmp_path, 2)
    log = tmp_path / LOG_NAME
    good = log.read_bytes()
    log.write_bytes(good + b'{"index": 2, "prev_ha')  # died mid-append
    led = LocalLedger(tmp_path)
    assert led.list("telemetry") == chain(2)
    assert log.read_bytes() == good
    led.anchor(chain(3)[2])
    LocalLedger(tmp_path).verify_log()


def test_entry_missing_only_its_newline_is_kept(tmp_path: Path) -> None:
    _anchored(tmp_path, 2)
    log = tmp_path / LOG_NAME
    log.write_bytes(log.read_bytes().rstrip(b"\n"))
    assert LocalLedger(tmp_path).list("telemetry") == chain(2)
