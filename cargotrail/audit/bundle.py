"""Proof bundles: one record with everything needed to verify it offline.

A bundle is JSON (version 1)::

    {"bundle_version": 1,
     "record_kind": "reading" | "rfid" | "geofence" | "alert",
     "record":  the stored JSON body of the record, as an object,
     "proof":   the record's Merkle proof (leaf hash, index, tree size, path),
     "receipt": the batch's receipt as the ledger holds it,
     "ledger":  {"kind": "local", "entry": the signed local-ledger entry
                 (index, prev_hash, header, hash, sig)}
             or {"kind": "fabric", "entry": {"block": the block of the anchoring
                 transaction (base64 protobuf), "org_cas": {MSP id: CA PEM}}}}

``verify_bundle`` needs nothing but the bundle and the ledger's trust anchor:

- local: the ledger's Ed25519 public key; the entry's hash is recomputed and
  its signature checked;
- fabric: the organisations' CA certificates, from the auditor (the bundle's
  ``org_cas`` are what the exporter used, never trusted); the block audit of
  ``ledger.fabric.audit`` runs (data hash, VALID flag, client and endorsement
  signatures, CA chains, the AND(PortAuthority, Customs) policy, the write set;
  the orderer's block signature too when the OrdererMSP CA is among them).
  Without the OrdererMSP CA nothing signs the block number, and the verdict says so.

Then the receipt must equal what the entry (or the block's write set) anchors,
and record -> leaf -> path -> root must reach that root.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

import msgspec

from cargotrail.audit.check import RecordCheck, decode_record, read_proof, receipt_differences
from cargotrail.contract.records import AnchorReceipt, LedgerKind, Proof
from cargotrail.errors import ConfigError, StoreError, ValidationError, VerificationError
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


class BundleCheck(RecordCheck, frozen=True, kw_only=True):
    """The verdict on a bundle: the record's, plus where it is anchored and who endorsed it.

    ``anchored_in`` names the ledger entry (local) or block and transaction (fabric);
    ``endorsed_by`` lists the MSP ids whose endorsements verified (fabric only);
    ``ordered_by`` the orderer MSP whose signature on the block verified (fabric, and only
    when its CA was given: otherwise the block number is not authenticated, as
    ``anchored_in`` says). All are empty unless ``ok``.
    """

    ledger: str = ""
    anchored_in: str = ""
    endorsed_by: tuple[str, ...] = ()
    ordered_by: str = ""

    @property
    def block_unsigned(self) -> bool:
        """A verified Fabric bundle whose block number nothing signed (no OrdererMSP CA given)."""
        return self.ok and self.ledger == LedgerKind.FABRIC.value and not self.ordered_by


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


def bundle_ledger(bundle: object) -> str:
    """The ledger kind a bundle names (``local``, ``fabric``, or whatever a tamperer wrote).

    It tells a caller which trust anchor to load; raises ``ValidationError`` when ``bundle`` is
    not a proof bundle of a known version.
    """
    return str(_parse(bundle).ledger.get("kind"))


class _Anchor(NamedTuple):
    """What a bundle's ledger section, once checked, says about the batch."""

    receipt: AnchorReceipt  # as the signed entry or the block records it
    where: str  # the entry, or the block and transaction
    endorsers: tuple[str, ...] = ()
    ordered_by: str = ""  # fabric: the orderer MSP whose block signature verified


def _wrong_kind(found: str, expected: str, why: str) -> VerificationError:
    return VerificationError(f"ledger kind of the bundle ({why})", expected=expected, found=found)


def _local(entry: object, receipt: AnchorReceipt, public_key_pem: bytes) -> _Anchor:
    try:
        held = check_entry(entry, public_key_pem)
    except ValidationError as exc:  # a value canonical JSON cannot hold, e.g. an integer beyond 2**53
        raise VerificationError(
            f"local ledger entry of batch {receipt.batch_id}",
            expected="canonical JSON values",
            found=str(exc),
        ) from exc
    for field, expected, found in receipt_differences(held, receipt)[:1]:
        raise VerificationError(
            f"{field} of batch {receipt.batch_id}: the bundle's receipt differs from the signed ledger entry",
            expected=expected,
            found=found,
        )
    return _Anchor(held, f"local ledger entry {held.block}")


def _fabric(entry: object, receipt: AnchorReceipt, org_cas: Mapping[str, bytes]) -> _Anchor:
    from ledger.fabric.audit import check_evidence  # the Fabric protobufs load only for Fabric bundles
    from ledger.fabric.orderer import ORDERER_MSP

    if not isinstance(entry, Mapping):
        raise VerificationError(
            f"fabric evidence of batch {receipt.batch_id}", expected="an object", found=type(entry).__name__
        )
    check = check_evidence(entry, receipt, org_cas)  # holds the anchored fields to the write set
    for field, expected, found in receipt_differences(check.receipt, receipt)[:1]:  # ledger, tx, block
        raise VerificationError(
            f"{field} of batch {receipt.batch_id}: the bundle's receipt differs from the block",
            expected=expected,
            found=found,
        )
    if check.ordered_by:
        block = f"fabric block {check.block} signed by {check.ordered_by}"
    else:
        block = f"fabric block {check.block} (number not signed: no {ORDERER_MSP} CA given)"
    return _Anchor(check.receipt, f"{block}, tx {receipt.tx_id}", check.endorsers, check.ordered_by)


def _verify(
    b: _Bundle, rid: str, public_key_pem: bytes | None, org_cas: Mapping[str, bytes] | None
) -> _Anchor:
    record = decode_record(msgspec.json.encode(b.record), b.record_kind, rid)
    proof: Proof = _section(b.proof, Proof, f"proof of record {rid}")
    receipt: AnchorReceipt = _section(b.receipt, AnchorReceipt, f"receipt of batch {proof.batch_id}")
    kind, entry = str(b.ledger.get("kind")), b.ledger.get("entry")
    if kind == LedgerKind.LOCAL.value:
        if not public_key_pem:
            raise _wrong_kind(kind, "fabric", "only the organisations' CA certificates were given")
        anchored = _local(entry, receipt, public_key_pem)
    elif kind == LedgerKind.FABRIC.value:
        if not org_cas:
            raise _wrong_kind(kind, "local", "only the ledger's public key was given")
        anchored = _fabric(entry, receipt, org_cas)
    else:
        raise _wrong_kind(kind, " or ".join(k.value for k in LedgerKind), "unknown ledger")
    verify_against_root(record, proof, anchored.receipt)
    return anchored


def verify_bundle(
    bundle: object, public_key_pem: bytes | None = None, *, org_cas: Mapping[str, bytes] | None = None
) -> BundleCheck:
    """Verify a proof bundle offline (see the module docstring).

    ``public_key_pem`` is the local ledger's key, ``org_cas`` the Fabric organisations' CA
    certificates ({MSP id: PEM}): the trust anchors given say which ledger the bundle must be on
    (a bundle on the other one fails). Raises ``ValidationError`` when ``bundle`` is not a proof
    bundle of a known version and ``ConfigError`` when no trust anchor is given; every failed
    check is a ``BundleCheck`` with ``ok=False``.
    """
    b = _parse(bundle)
    if not public_key_pem and not org_cas:
        raise ConfigError(
            "no trust anchor given: the ledger's public key (local) or the organisations' CA"
            " certificates (fabric; the bundle's own copies are not trusted)"
        )
    rid, bid = str(b.proof.get("record_id", "")), str(b.proof.get("batch_id", ""))
    ledger = str(b.ledger.get("kind"))
    try:
        anchor = _verify(b, rid, public_key_pem, org_cas)
    except VerificationError as exc:
        return msgspec.structs.replace(BundleCheck.failure(rid, b.record_kind, bid, exc), ledger=ledger)
    return BundleCheck(
        record_id=rid,
        kind=b.record_kind,
        batch_id=bid,
        ok=True,
        ledger=ledger,
        anchored_in=anchor.where,
        endorsed_by=anchor.endorsers,
        ordered_by=anchor.ordered_by,
    )
