"""The local ledger's signed entries, handed out for proof bundles and checked offline."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cargotrail.errors import VerificationError
from ledger import keys
from ledger.core.batch import BatchHeader
from ledger.local import LOG_NAME, LocalLedger, _entry_hash, check_entry
from tests.ledger.test_batch_chain import chain


def _ledger(tmp_path: Path) -> LocalLedger:
    led = LocalLedger(tmp_path)
    for h in chain(3):
        led.anchor(h)
    return led


def test_signed_entry_is_the_log_line(tmp_path: Path) -> None:
    led = _ledger(tmp_path)
    lines = (tmp_path / LOG_NAME).read_text().splitlines()
    for n, h in enumerate(chain(3)):
        assert led.signed_entry(h.batch_id) == json.loads(lines[n])
    assert led.signed_entry("nope") is None


def test_check_entry_returns_the_receipt_offline(tmp_path: Path) -> None:
    led = _ledger(tmp_path)
    for h in chain(3):
        entry = json.loads(json.dumps(led.signed_entry(h.batch_id)))
        assert check_entry(entry, led.public_key_pem) == led.get(h.batch_id)


def _entry(tmp_path: Path) -> tuple[dict[str, object], bytes]:
    led = _ledger(tmp_path)
    entry = led.signed_entry(chain(3)[1].batch_id)
    assert entry is not None
    return entry, led.public_key_pem


def test_a_changed_header_fails_the_entry_hash(tmp_path: Path) -> None:
    entry, pem = _entry(tmp_path)
    entry["header"]["size"] = 11  # type: ignore[index]
    with pytest.raises(VerificationError, match="entry hash") as err:
        check_entry(entry, pem)
    assert f"local ledger entry 1 (batch {chain(3)[1].batch_id})" in err.value.what
    assert err.value.found == entry["hash"]


def test_a_rehashed_entry_fails_the_signature(tmp_path: Path) -> None:
    entry, pem = _entry(tmp_path)
    header = msgspec.convert(entry["header"], BatchHeader)
    forged = msgspec.structs.replace(header, root="ee" * 32)
    entry["header"] = msgspec.to_builtins(forged)
    entry["hash"] = _entry_hash(1, str(entry["prev_hash"]), forged)
    with pytest.raises(VerificationError, match="Ed25519 signature") as err:
        check_entry(entry, pem)
    assert err.value.found == "invalid"


def test_the_wrong_or_a_broken_public_key_is_refused(tmp_path: Path) -> None:
    entry, _ = _entry(tmp_path)
    other = keys.public_pem(Ed25519PrivateKey.generate().public_key())
    with pytest.raises(VerificationError, match="Ed25519 signature"):
        check_entry(entry, other)
    with pytest.raises(VerificationError, match="ledger public key"):
        check_entry(entry, b"not a pem")


def test_a_malformed_entry_is_refused(tmp_path: Path) -> None:
    entry, pem = _entry(tmp_path)
    del entry["sig"]
    with pytest.raises(VerificationError, match="local ledger entry"):
        check_entry(entry, pem)
    with pytest.raises(VerificationError, match="local ledger entry"):
        check_entry("not an entry", pem)
