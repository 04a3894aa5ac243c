"""Proof bundles: exported from store + ledger, verified offline with the public key alone."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cargotrail.audit import BUNDLE_VERSION, export_bundle, verify_bundle
from cargotrail.errors import StoreError, ValidationError
from ledger import keys
from ledger.core.batch import BatchHeader
from ledger.local import _entry_hash
from tests.cargotrail.audit.conftest import DataSet
from tests.cargotrail.audit.tamper import flip_hex, ids, unlist_record

Bundle = dict[str, Any]
TABLES = {
    "reading": ("readings", "reading_id"),
    "alert": ("alerts", "alert_id"),
    "rfid": ("rfid_reads", "rfid_id"),
    "geofence": ("geofence_events", "event_id"),
}


def _pem(data: DataSet) -> bytes:
    return (data.root / "ledger" / keys.PUBLIC_NAME).read_bytes()


def _bundle(data: DataSet, kind: str = "reading") -> Bundle:
    table, key = TABLES[kind]
    rid = ids(data, f"SELECT {key} FROM {table} ORDER BY ts LIMIT 1")[0]
    bundle: Bundle = json.loads(json.dumps(export_bundle(data.store, data.ledger, rid)))  # as on disk
    return bundle


@pytest.mark.parametrize("kind", ["reading", "rfid", "geofence", "alert"])
def test_an_exported_bundle_verifies_offline(data: DataSet, kind: str) -> None:
    bundle = _bundle(data, kind)
    assert bundle["bundle_version"] == BUNDLE_VERSION and bundle["record_kind"] == kind
    assert set(bundle) == {"bundle_version", "record_kind", "record", "proof", "receipt", "ledger"}
    assert bundle["ledger"]["kind"] == "local"
    assert set(bundle["ledger"]["entry"]) == {"index", "prev_hash", "header", "hash", "sig"}
    stored = data.store.record(bundle["proof"]["record_id"])
    assert stored is not None and bundle["record"] == json.loads(stored.body)
    check = verify_bundle(bundle, _pem(data))
    assert check.ok and check.kind == kind and check.batch_id == bundle["receipt"]["batch_id"]


def test_the_wrong_public_key_is_refused(data: DataSet) -> None:
    other = keys.public_pem(Ed25519PrivateKey.generate().public_key())
    check = verify_bundle(_bundle(data), other)
    assert not check.ok and "Ed25519 signature" in check.problem
    assert check.expected == "valid for the given public key" and check.found == "invalid"
    check = verify_bundle(_bundle(data), b"-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")
    assert not check.ok and check.problem.startswith("ledger public key")


def _path(b: Bundle, *keys_: str | int) -> tuple[Any, str | int]:
    node: Any = b
    for k in keys_[:-1]:
        node = node[k]
    return node, keys_[-1]


def _set(*where: str | int, to: Callable[[Any], Any]) -> Callable[[Bundle], None]:
    def edit(b: Bundle) -> None:
        node, last = _path(b, *where)
        node[last] = to(node[last])

    return edit


TAMPERING: dict[str, tuple[Callable[[Bundle], None], str]] = {
    "record lat": (_set("record", "lat", to=lambda v: v + 1e-6), "leaf hash of record"),
    "record extra field": (lambda b: b["record"].update(note="x"), "holds more than the anchored record"),
    "record kind": (_set("record_kind", to=lambda v: "alert"), "kind of record"),
    "proof step": (_set("proof", "path", 0, to=flip_hex), "Merkle root of batch"),
    "proof leaf hash": (_set("proof", "leaf_hash", to=flip_hex), "leaf hash of record"),
    "proof index": (_set("proof", "leaf_index", to=lambda v: v ^ 1), "Merkle root of batch"),
    "receipt root": (_set("receipt", "root", to=flip_hex), "root of batch"),
    "entry root": (_set("ledger", "entry", "header", "root", to=flip_hex), "entry hash (content changed)"),
    "entry hash": (_set("ledger", "entry", "hash", to=flip_hex), "entry hash (content changed)"),
    "entry signature": (_set("ledger", "entry", "sig", to=flip_hex), "Ed25519 signature"),
    "entry shape": (lambda b: b["ledger"]["entry"].pop("sig"), "local ledger entry"),
    "entry index beyond JSON numbers": (
        _set("ledger", "entry", "index", to=lambda v: 2**70),
        "local ledger entry of batch",
    ),
    "entry batch size beyond JSON numbers": (
        _set("ledger", "entry", "header", "size", to=lambda v: -(2**70)),
        "(expected canonical JSON values, found cannot canonicalise",
    ),
    "ledger kind": (_set("ledger", "kind", to=lambda v: "fabric"), "ledger kind of the bundle"),
}


@pytest.mark.parametrize("name", sorted(TAMPERING))
def test_every_tampered_field_is_detected(data: DataSet, name: str) -> None:
    bundle = _bundle(data)
    pristine = copy.deepcopy(bundle)
    edit, message = TAMPERING[name]
    edit(bundle)
    assert bundle != pristine
    check = verify_bundle(bundle, _pem(data))
    assert not check.ok and message in check.problem, check.problem
    assert check.record_id == pristine["proof"]["record_id"] or name.startswith("proof")


def test_receipt_root_mismatch_names_both_roots(data: DataSet) -> None:
    bundle = _bundle(data)
    root = bundle["receipt"]["root"]
    bundle["receipt"]["root"] = flip_hex(root)
    check = verify_bundle(bundle, _pem(data))
    assert check.problem.startswith(
        f"root of batch {bundle['receipt']['batch_id']}: the bundle's receipt differs"
    )
    assert (check.expected, check.found) == (root, flip_hex(root))


def test_a_re_rooted_bundle_with_a_consistent_receipt_still_fails_on_the_signature(data: DataSet) -> None:
    """Changing receipt and entry root together leaves the entry hash; recomputing it breaks the signature."""
    bundle = _bundle(data)
    entry = bundle["ledger"]["entry"]
    entry["header"]["root"] = bundle["receipt"]["root"] = flip_hex(entry["header"]["root"])
    header = msgspec.convert(entry["header"], BatchHeader)
    entry["hash"] = bundle["receipt"]["tx_id"] = _entry_hash(entry["index"], entry["prev_hash"], header)
    check = verify_bundle(bundle, _pem(data))
    assert not check.ok and "Ed25519 signature" in check.problem


@pytest.mark.parametrize("bad", [[], {"bundle_version": 2}, {"bundle_version": 1, "record": {}}])
def test_a_non_bundle_is_a_usage_error(bad: object) -> None:
    with pytest.raises(ValidationError):
        verify_bundle(bad, b"")


def test_export_refuses_missing_records_and_proofs(data: DataSet) -> None:
    with pytest.raises(StoreError, match="record nope is not in the store"):
        export_bundle(data.store, data.ledger, "nope")
    rid = ids(data, "SELECT reading_id FROM readings LIMIT 1")[0]
    unlist_record(data, rid)
    with pytest.raises(StoreError, match=f"record {rid} has no proof"):
        export_bundle(data.store, data.ledger, rid)
