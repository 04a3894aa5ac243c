"""verify_record: every anchored record verifies; every tampering of the store is named."""

from __future__ import annotations

import msgspec

from cargotrail.audit import NO_PROOF, NOT_IN_STORE, verify_record
from cargotrail.contract.records import AnchorReceipt, Proof, Reading
from ledger.core.canonical import canonical_bytes
from ledger.core.hashing import leaf_hash
from ledger.core.merkle import root_from_path
from tests.cargotrail.audit.conftest import DataSet
from tests.cargotrail.audit.tamper import edit_json_row, flip_digit, flip_hex, ids, set_leaf, unlist_record

ALL_IDS = (
    "SELECT reading_id FROM readings UNION ALL SELECT rfid_id FROM rfid_reads "
    "UNION ALL SELECT event_id FROM geofence_events UNION ALL SELECT alert_id FROM alerts"
)


def _reading(data: DataSet, flag: int = 0) -> str:
    return ids(data, "SELECT reading_id FROM readings WHERE flag = ? ORDER BY ts", flag)[0]


def test_every_anchored_record_verifies(data: DataSet) -> None:
    checks = [verify_record(data.store, data.ledger, rid) for rid in ids(data, ALL_IDS)]
    assert len(checks) == 64
    assert [c for c in checks if not c.ok] == []
    assert {c.kind for c in checks} == {"reading", "rfid", "geofence", "alert"}
    assert len({c.batch_id for c in checks}) == 10


def test_late_and_gps_jump_readings_are_anchored_and_verify(data: DataSet) -> None:
    for flag in (1, 2):
        check = verify_record(data.store, data.ledger, _reading(data, flag))
        assert check.ok and check.kind == "reading" and check.batch_id


def test_unknown_record_is_not_in_store(data: DataSet) -> None:
    check = verify_record(data.store, data.ledger, "no-such-record")
    assert not check.ok and check.problem == NOT_IN_STORE and not check.in_store


def test_one_byte_of_a_stored_reading_is_detected(data: DataSet) -> None:
    rid = _reading(data)
    proof = data.store.proof(rid)
    assert proof is not None
    ((body,),) = data.sql("SELECT body FROM readings WHERE reading_id = ?", rid)
    data.sql("UPDATE readings SET body = ? WHERE reading_id = ?", flip_digit(bytes(body), "lat"), rid)
    check = verify_record(data.store, data.ledger, rid)
    assert not check.ok and check.batch_id == proof.batch_id
    assert f"leaf hash of record {rid} in batch {proof.batch_id}" in check.problem
    assert "record differs from what was anchored" in check.problem
    assert check.expected == proof.leaf_hash and check.found != proof.leaf_hash


def test_a_changed_alert_explanation_is_detected(data: DataSet) -> None:
    (aid,) = ids(data, "SELECT alert_id FROM alerts WHERE kind = 'temperature_excursion'")
    ((body,),) = data.sql("SELECT body FROM alerts WHERE alert_id = ?", aid)
    changed = bytes(body).replace(b'"severity":"', b'"severity":"x', 1)  # not a severity: unreadable
    data.sql("UPDATE alerts SET body = ? WHERE alert_id = ?", changed, aid)
    check = verify_record(data.store, data.ledger, aid)
    assert (
        not check.ok
        and f"body of record {aid}" in check.problem
        and check.expected == "a readable alert record"
    )
    data.sql("UPDATE alerts SET body = ? WHERE alert_id = ?", flip_digit(bytes(body), "temperature_c"), aid)
    check = verify_record(data.store, data.ledger, aid)
    assert not check.ok and f"leaf hash of record {aid}" in check.problem


def test_an_extra_field_in_a_stored_body_is_detected(data: DataSet) -> None:
    rid = _reading(data)
    edit_json_row(data, "readings", "reading_id", rid, {"note": "moved by hand"})
    check = verify_record(data.store, data.ledger, rid)
    assert not check.ok and "holds more than the anchored record" in check.problem
    assert check.found == "extra fields ['note']"


def test_a_stored_body_of_another_record_is_detected(data: DataSet) -> None:
    a, b = ids(data, "SELECT reading_id FROM readings WHERE flag = 0 ORDER BY ts LIMIT 2")
    ((body_b,),) = data.sql("SELECT body FROM readings WHERE reading_id = ?", b)
    data.sql("UPDATE readings SET body = ? WHERE reading_id = ?", body_b, a)
    check = verify_record(data.store, data.ledger, a)
    assert not check.ok and check.problem.startswith(f"id of the record stored as {a}")
    assert (check.expected, check.found) == (a, b)


def test_one_proof_step_is_detected(data: DataSet) -> None:
    rid = _reading(data)
    proof = data.store.proof(rid)
    assert proof is not None and proof.path
    receipt = data.ledger.get(proof.batch_id)
    assert receipt is not None
    other = 1 if proof.leaf_index == 0 else 0  # a stored neighbour leaf: it feeds a step of the path
    set_leaf(data, proof.batch_id, other, bytes(32))
    recomputed = data.store.proof(rid)
    assert recomputed is not None and recomputed.path != proof.path
    check = verify_record(data.store, data.ledger, rid)
    assert not check.ok
    assert check.problem.startswith(f"Merkle root of batch {proof.batch_id} via record {rid}")
    assert check.expected == receipt.root


def test_a_missing_or_unreadable_proof_is_detected(data: DataSet) -> None:
    a, b = ids(data, "SELECT reading_id FROM readings WHERE flag = 0 ORDER BY ts LIMIT 2")
    unlist_record(data, a)
    check = verify_record(data.store, data.ledger, a)
    assert not check.ok and check.problem == NO_PROOF and check.kind == "reading"
    proof_b = data.store.proof(b)
    assert proof_b is not None
    data.sql("UPDATE batch_leaves SET leaves = substr(leaves, 1, 40) WHERE batch_id = ?", proof_b.batch_id)
    check = verify_record(data.store, data.ledger, b)
    assert not check.ok and f"proof of record {b} in the store" in check.problem


def test_a_tampered_stored_root_is_reported_against_the_ledger(data: DataSet) -> None:
    rid = _reading(data)
    proof = data.store.proof(rid)
    assert proof is not None
    held = data.ledger.get(proof.batch_id)
    assert held is not None
    forged = flip_hex(held.root)
    edit_json_row(data, "anchors", "batch_id", proof.batch_id, {"root": forged})
    check = verify_record(data.store, data.ledger, rid)
    assert not check.ok
    assert check.problem.startswith(f"root of batch {proof.batch_id} in the store differs from the ledger")
    assert (check.expected, check.found) == (held.root, forged)
    data.sql("DELETE FROM anchors WHERE batch_id = ?", proof.batch_id)
    check = verify_record(data.store, data.ledger, rid)
    assert not check.ok and f"anchor of batch {proof.batch_id} in the store" in check.problem
    assert check.found == "no anchor row"


def test_a_consistent_forgery_of_record_proof_and_root_in_the_store_is_caught_by_the_ledger(
    data: DataSet,
) -> None:
    """Rewrite a reading, its leaf, and the stored root to match: only the ledger can tell."""
    rid = _reading(data)
    proof = data.store.proof(rid)
    stored = data.store.record(rid)
    assert proof is not None and stored is not None
    forged = msgspec.structs.replace(msgspec.json.decode(stored.body, type=Reading), lat=52.5)
    leaf = leaf_hash(canonical_bytes(forged))
    root = root_from_path(leaf, proof.leaf_index, proof.tree_size, [bytes.fromhex(p) for p in proof.path])
    assert root is not None
    data.sql("UPDATE readings SET body = ? WHERE reading_id = ?", msgspec.json.encode(forged), rid)
    set_leaf(data, proof.batch_id, proof.leaf_index, leaf)
    edit_json_row(data, "anchors", "batch_id", proof.batch_id, {"root": root.hex()})
    held = data.ledger.get(proof.batch_id)
    assert held is not None
    stored_anchor = data.store.anchor(proof.batch_id)
    assert isinstance(stored_anchor, AnchorReceipt) and stored_anchor.root == root.hex()
    assert isinstance(data.store.proof(rid), Proof)
    check = verify_record(data.store, data.ledger, rid)
    assert not check.ok and check.problem.startswith(f"Merkle root of batch {proof.batch_id}")
    assert (check.expected, check.found) == (held.root, root.hex())
