"""Proof bundles: one record with everything needed to verify it offline.

A bundle is JSON (version 1)::

    {"bundle_version": 1,
     "record_kind": "reading" | "rfid" | "geofence" | "alert",
     "record":  the stored JSON body of the record, as an object,
     "proof":   the record's Merkle proof (leaf hash, index, tree size, path),
     "receipt": the batch's receipt as the ledger holds it,
     "ledger":  {"kind": "local", "entry": the signed local-ledger entry
                 (index, prev_hash, header, hash, sig)}}

``verify_bundle`` needs nothing but the bundle and the ledger's public key:
the entry's hash is recomputed and its Ed25519 signature checked, the
receipt must equal what the entry anchors, and record -> leaf -> path ->
root must reach the entry's root. Fabric bundles (block + endorsements)
will be a new ``ledger.kind`` in the same version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import msgspec

from cargotrail.audit.check import RecordCheck, decode_record, read_proof, receipt_differences
from cargotrail.contract.records import AnchorReceipt, LedgerKind, Proof
from cargotrail.errors import StoreError, ValidationError, VerificationError
from ledger.core.verify import verify_record as verify_against_root
from ledger.local import check_entry
from store.base import Repository

BUNDLE_VERSION = 1


class SignedEntries(Protocol):
    """A ledger that can hand out the signed entry of a batch (``ledger.local.LocalLedger``)."""

    @property
    def kind(self) -> LedgerKind: ...
    def get(self, batch_id: str) -> AnchorReceipt | None: ...
    def signed_entry(self, batch_id: str) -> dict[str, Any] | None: ...


class _Bundle(msgspec.Struct, frozen=True, kw_only=True):
    bundle_version: int
    record_kind: str
    record: dict[str, Any]
    proof: dict[str, Any]
    receipt: dict[str, Any]
    ledger: dict[str, Any]


def export_bundle(store: Repository, ledger: SignedEntries, record_id: str) -> dict[str, Any]:
    """The proof bundle of ``record_id`` (JSON-able), exactly as store and ledger hold it.

    Raises ``StoreError`` when the record or its proof is not in the store and
    ``VerificationError`` when its batch is not on the ledger. It does not
    verify: a doctored store yields a bundle that ``verify_bundle`` refuses.
    """
    stored = store.record(record_id)
    if stored is None:
        raise StoreError(f"record {record_id} is not in the store")
    proof = read_proof(store, record_id)
    if proof is None:
        raise StoreError(f"record {record_id} has no proof in the store: not anchored yet")
    bid = proof.batch_id
    receipt, entry = ledger.get(bid), ledger.signed_entry(bid)
    if receipt is None or entry is None:
        raise VerificationError(
            f"batch {bid} of record {record_id} on the {ledger.kind.value} ledger",
            expected="anchored",
            found="absent",
        )
    try:
        body = msgspec.json.decode(stored.body)
    except msgspec.DecodeError as exc:
        raise VerificationError(
            f"body of record {record_id}", expected="readable JSON", found=str(exc)
        ) from exc
    return {
        "bundle_version": BUNDLE_VERSION,
        "record_kind": stored.kind,
        "record": body,
        "proof": msgspec.to_builtins(proof),
        "receipt": msgspec.to_builtins(receipt),
        "ledger": {"kind": ledger.kind.value, "entry": entry},
    }


def _parse(bundle: object) -> _Bundle:
    """The bundle's sections; ``ValidationError`` when it is not a bundle of a known version."""
    if not isinstance(bundle, Mapping):
        raise ValidationError(f"a proof bundle is a JSON object, not {type(bundle).__name__}")
    version = bundle.get("bundle_version")
    if version != BUNDLE_VERSION:
        raise ValidationError(
            f"unsupported proof bundle version {version!r} (this cargotrail reads {BUNDLE_VERSION})",
            field="bundle_version",
        )
    try:
        return msgspec.convert(bundle, _Bundle)
    except msgspec.ValidationError as exc:
        raise ValidationError(f"not a proof bundle: {exc}") from exc


def _section(data: Mapping[str, Any], into: type[Proof] | type[AnchorReceipt], what: str) -> Any:
    try:
        return msgspec.json.decode(msgspec.json.encode(data), type=into)
    except (msgspec.DecodeError, msgspec.EncodeError) as exc:
        raise VerificationError(f"{what} in the bundle", expected="readable", found=str(exc)) from exc


def _verify(b: _Bundle, rid: str, public_key_pem: bytes) -> None:
    record = decode_record(msgspec.json.encode(b.record), b.record_kind, rid)
    proof: Proof = _section(b.proof, Proof, f"proof of record {rid}")
    receipt: AnchorReceipt = _section(b.receipt, AnchorReceipt, f"receipt of batch {proof.batch_id}")
    kind = b.ledger.get("kind")
    if kind != LedgerKind.LOCAL.value:
        raise VerificationError("ledger kind of the bundle", expected="local", found=str(kind))
    held = check_entry(b.ledger.get("entry"), public_key_pem)
    for field, expected, found in receipt_differences(held, receipt)[:1]:
        raise VerificationError(
            f"{field} of batch {receipt.batch_id}: the bundle's receipt differs from the signed ledger entry",
            expected=expected,
            found=found,
        )
    verify_against_root(record, proof, held)


def verify_bundle(bundle: object, public_key_pem: bytes) -> RecordCheck:
    """Verify a proof bundle offline with the ledger's public key (see the module docstring).

    Raises ``ValidationError`` only when ``bundle`` is not a proof bundle of a
    known version; every failed check is a ``RecordCheck`` with ``ok=False``.
    """
    b = _parse(bundle)
    rid, bid = str(b.proof.get("record_id", "")), str(b.proof.get("batch_id", ""))
    try:
        _verify(b, rid, public_key_pem)
    except VerificationError as exc:
        return RecordCheck.failure(rid, b.record_kind, bid, exc)
    return RecordCheck(record_id=rid, kind=b.record_kind, batch_id=bid, ok=True)
