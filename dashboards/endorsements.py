"""Who endorsed an anchored batch (no Streamlit here).

- Local ledger: one signer, the ledger's Ed25519 key; its entry's signature is
  checked and the key named by its SHA-256 fingerprint.
- Fabric: the endorsing organisations are not in the receipt, so the block of
  the anchoring transaction is fetched and checked (``ledger.fabric.audit``);
  the MSP ids whose endorsement signatures verified against the organisations'
  CA certificates are the answer. The auditor's own CAs are used when given.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization

from cargotrail.contract.records import AnchorReceipt, LedgerKind
from cargotrail.errors import CargotrailError

LOCAL_SIGNER = "local ledger signer"


class EndorsedLedger(Protocol):
    def verify_entry(self, receipt: AnchorReceipt) -> None: ...
    def signed_entry(self, batch_id: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class Endorsement:
    batch_id: str
    ledger: str
    endorsers: tuple[str, ...]  # who endorsed: MSP ids (Fabric) or the local signer
    identity: str  # how they are known: key fingerprint, or block and transaction
    ok: bool
    problem: str = ""


def key_fingerprint(public_pem: bytes) -> str:
    """``sha256:`` and the hex SHA-256 of the key's DER SubjectPublicKeyInfo."""
    key = serialization.load_pem_public_key(public_pem)
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()


def endorsement_of(
    ledger: EndorsedLedger,
    receipt: AnchorReceipt,
    *,
    public_pem: bytes | None = None,
    trusted_cas: Mapping[str, bytes] | None = None,
) -> Endorsement:
    """Check who endorsed ``receipt``'s batch on ``ledger``; a failed check says why."""
    kind = receipt.ledger.value
    try:
        if receipt.ledger is LedgerKind.LOCAL:
            ledger.verify_entry(receipt)
            identity = "Ed25519 " + (key_fingerprint(public_pem) if public_pem else "key not found")
            return Endorsement(receipt.batch_id, kind, (LOCAL_SIGNER,), identity, ok=True)
        from ledger.fabric.audit import check_evidence  # the Fabric protobufs load only when needed

        entry = ledger.signed_entry(receipt.batch_id)
        if entry is None:
            return Endorsement(
                receipt.batch_id, kind, (), "", ok=False, problem="not anchored on this ledger"
            )
        check = check_evidence(entry, receipt, dict(trusted_cas) if trusted_cas else None)
        signed = f"signed by {check.ordered_by}" if check.ordered_by else "number unsigned: no OrdererMSP CA"
        where = f"block {check.block} ({signed}), tx {receipt.tx_id}"
        return Endorsement(receipt.batch_id, kind, check.endorsers, where, ok=True)
    except CargotrailError as exc:
        return Endorsement(receipt.batch_id, kind, (), "", ok=False, problem=str(exc))


def endorsed_by_column(ledger_kind: str, signer: str | None) -> str:
    """What the batch table says before any check: the local signer is known, Fabric needs the block."""
    if ledger_kind == LedgerKind.LOCAL.value:
        return f"{LOCAL_SIGNER} ({signer[:23]}…)" if signer else LOCAL_SIGNER
    return "check below"
