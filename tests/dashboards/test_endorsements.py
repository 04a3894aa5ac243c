"""Who endorsed an anchored batch (dashboards/endorsements.py), on a real local ledger."""

from __future__ import annotations

import hashlib

import msgspec
from cryptography.hazmat.primitives import serialization

from cargotrail.contract.records import AnchorReceipt
from dashboards.endorsements import LOCAL_SIGNER, endorsed_by_column, endorsement_of, key_fingerprint
from ledger.local import LocalLedger
from store.sqlite import SqliteStore


def test_the_fingerprint_is_the_sha256_of_the_public_key(tmp_path):
    pem = LocalLedger(tmp_path).public_key_pem
    der = serialization.load_pem_public_key(pem).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert key_fingerprint(pem) == "sha256:" + hashlib.sha256(der).hexdigest()


def test_a_local_batch_is_endorsed_by_the_ledger_signer(seeded):
    ledger = LocalLedger(seeded / "ledger")
    receipt = SqliteStore(seeded / "cargotrail.sqlite").anchors(limit=1)[0]
    found = endorsement_of(ledger, receipt, public_pem=ledger.public_key_pem)
    assert found.ok and found.endorsers == (LOCAL_SIGNER,)
    assert found.identity == "Ed25519 " + key_fingerprint(ledger.public_key_pem)
    assert endorsed_by_column("local", key_fingerprint(ledger.public_key_pem)).startswith(
        LOCAL_SIGNER + " (sha256:"
    )
    assert endorsed_by_column("fabric", None) == "check below"


def test_a_receipt_the_ledger_does_not_hold_fails_and_says_why(seeded):
    ledger = LocalLedger(seeded / "ledger")
    receipt = SqliteStore(seeded / "cargotrail.sqlite").anchors(limit=1)[0]
    forged = msgspec.structs.replace(receipt, root="00" * 32)
    found = endorsement_of(ledger, forged, public_pem=ledger.public_key_pem)
    assert not found.ok and found.endorsers == () and "root" in found.problem
    missing = msgspec.structs.replace(receipt, batch_id="f" * 32)
    assert "absent" in endorsement_of(ledger, missing).problem
    assert isinstance(receipt, AnchorReceipt)
