"""Verify one stored record against the ledger, without trusting the store.

The auditor's chain for one record, every link named when it breaks::

    store body --decode--> contract record --canonical bytes--> leaf
    store proof (leaf, path) --> root  ==  root of the receipt AS THE LEDGER HOLDS IT
    ledger entry: signature / chain checked by ``Ledger.verify_entry``

The store supplies the record, its proof and a copy of the anchor; only the
ledger is trusted for the root. The store's copy of the anchor is compared
with the ledger's afterwards, so a doctored anchor row is reported as such
(field, expected ledger value, found stored value) instead of passing silently.

Contract: ``verify_record`` never raises ``VerificationError``: every failed
check becomes a ``RecordCheck`` with ``ok=False`` and a precise ``problem``.
``LedgerError``/``StoreError`` (cannot read at all) propagate: "could not
check" is not "checked and failed".
"""

from __future__ import annotations

from typing import Any, Protocol, Self

import msgspec

from cargotrail.contract.records import (
    Alert,
    AnchorReceipt,
    GeofenceEvent,
    LedgerKind,
    Proof,
    Reading,
    Record,
    RfidRead,
)
from cargotrail.errors import StoreCorrupt, ValidationError, VerificationError
from ledger.core.canonical import canonical_bytes, canonical_json
from ledger.core.proofs import Anchorable, record_id
from ledger.core.verify import verify_record as verify_against_root
from store.base import Repository, StoredRecord

NOT_IN_STORE = "record not in store"
NO_PROOF = "no proof: not anchored yet (or its proof row was removed from the store)"
RECEIPT_FIELDS = (
    "batch_id",
    "stream",
    "root",
    "size",
    "prev_root",
    "first_ts",
    "last_ts",
    "ledger",
    "tx_id",
    "block",
)


class RecordCheck(msgspec.Struct, frozen=True, kw_only=True):
    """The verdict on one record.

    ``kind`` is empty when the record is not in the store, ``batch_id`` when it
    has no proof. When ``ok`` is false, ``problem`` says what failed (with the
    record and batch ids) and ``expected``/``found`` carry the two values.
    """

    record_id: str
    kind: str = ""
    batch_id: str = ""
    ok: bool = False
    problem: str = ""
    expected: str = ""
    found: str = ""

    @property
    def in_store(self) -> bool:
        return self.problem != NOT_IN_STORE

    @classmethod
    def failure(cls, rid: str, kind: str, bid: str, exc: VerificationError) -> Self:
        return cls(
            record_id=rid, kind=kind, batch_id=bid, problem=str(exc), expected=exc.expected, found=exc.found
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = msgspec.to_builtins(self)
        return data


class LedgerReader(Protocol):
    """The part of ``ledger.base.Ledger`` an auditor reads."""

    @property
    def kind(self) -> LedgerKind: ...
    def get(self, batch_id: str) -> AnchorReceipt | None: ...
    def verify_entry(self, receipt: AnchorReceipt) -> None: ...


def decode_record(body: bytes, kind: str, rid: str) -> Anchorable:
    """The contract record in ``body`` (JSON), refusing anything but an anchored ``kind``.

    Also refuses a body that carries more than the record (an extra or
    non-canonical field would be shown to an auditor without being anchored).
    """
    try:
        record = msgspec.json.decode(body, type=Record)
        raw = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise VerificationError(
            f"body of record {rid}", expected=f"a readable {kind} record", found=str(exc)
        ) from exc
    tag = type(record).__struct_config__.tag
    if tag != kind or not isinstance(record, Reading | RfidRead | GeofenceEvent | Alert):
        raise VerificationError(f"kind of record {rid}", expected=kind, found=str(tag))
    try:
        exact, shown = canonical_bytes(record), canonical_json(raw)
    except ValidationError as exc:  # e.g. a non-UTC timestamp: it could never have been anchored
        raise VerificationError(f"body of record {rid}", expected="canonical JSON", found=str(exc)) from exc
    if shown != exact:
        extra = sorted(set(raw) - set(msgspec.to_builtins(record))) if isinstance(raw, dict) else []
        why = "holds more than the anchored record" if extra else "not in the anchored record's form"
        raise VerificationError(
            f"body of record {rid} ({why})",
            expected=exact.decode(),
            found=f"extra fields {extra}" if extra else shown.decode(),
        )
    return record


def receipt_differences(held: AnchorReceipt, shown: AnchorReceipt) -> list[tuple[str, str, str]]:
    """``(field, held value, shown value)`` for every receipt field that differs."""
    a, b = msgspec.to_builtins(held), msgspec.to_builtins(shown)
    return [(f, str(a.get(f)), str(b.get(f))) for f in RECEIPT_FIELDS if a.get(f) != b.get(f)]


def read_proof(store: Repository, rid: str) -> Proof | None:
    try:
        return store.proof(rid)
    except (msgspec.DecodeError, StoreCorrupt) as exc:  # a doctored row: the store adapter reads it back
        raise VerificationError(
            f"proof of record {rid} in the store", expected="a readable proof", found=str(exc)
        ) from exc


def read_anchor(store: Repository, bid: str) -> AnchorReceipt | None:
    try:
        return store.anchor(bid)
    except msgspec.DecodeError as exc:
        raise VerificationError(
            f"anchor of batch {bid} in the store", expected="a readable receipt", found=str(exc)
        ) from exc


def check_stored_anchor(store: Repository, held: AnchorReceipt) -> None:
    """Raise unless the store's copy of the anchor equals the ledger's receipt ``held``."""
    bid = held.batch_id
    stored = read_anchor(store, bid)
    if stored is None:
        raise VerificationError(
            f"anchor of batch {bid} in the store",
            expected=f"the ledger's receipt (root {held.root})",
            found="no anchor row",
        )
    for field, expected, found in receipt_differences(held, stored)[:1]:
        raise VerificationError(
            f"{field} of batch {bid} in the store differs from the ledger", expected=expected, found=found
        )


def check_stored(store: Repository, ledger: LedgerReader, stored: StoredRecord, proof: Proof) -> None:
    """Every link for one record (see the module docstring); raises ``VerificationError``."""
    rid, bid = stored.record_id, proof.batch_id
    record = decode_record(stored.body, stored.kind, rid)
    if record_id(record) != rid:
        raise VerificationError(f"id of the record stored as {rid}", expected=rid, found=record_id(record))
    held = ledger.get(bid)
    if held is None:
        raise VerificationError(
            f"batch {bid} of record {rid} on the {ledger.kind.value} ledger",
            expected="anchored",
            found="absent",
        )
    ledger.verify_entry(held)
    verify_against_root(record, proof, held)
    check_stored_anchor(store, held)


def verify_record(store: Repository, ledger: LedgerReader, rid: str) -> RecordCheck:
    """Verify the stored record ``rid`` against the ledger (see the module contract)."""
    stored = store.record(rid)
    if stored is None:
        return RecordCheck(record_id=rid, problem=NOT_IN_STORE)
    return verify_stored(store, ledger, stored)


def verify_stored(store: Repository, ledger: LedgerReader, stored: StoredRecord) -> RecordCheck:
    """``verify_record`` for a record already read from the store (a trail reads them in bulk)."""
    rid, bid = stored.record_id, ""
    try:
        proof = read_proof(store, rid)
        if proof is None:
            return RecordCheck(record_id=rid, kind=stored.kind, problem=NO_PROOF)
        bid = proof.batch_id
        check_stored(store, ledger, stored, proof)
    except VerificationError as exc:
        return RecordCheck.failure(rid, stored.kind, bid, exc)
    return RecordCheck(record_id=rid, kind=stored.kind, batch_id=bid, ok=True)
