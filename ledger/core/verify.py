"""Pure verification of one record against one anchored root.

The auditor's chain, each link checked and named when it fails::

    record --canonical_bytes--> leaf hash  == proof.leaf_hash
    leaf hash --proof.path-->   root       == anchored root (receipt.root)

Contract: ``verify_record`` returns None when the record is exactly what was
anchored and otherwise raises ``VerificationError`` whose ``what`` names the
record id, the batch id and the hash that failed, with ``expected`` and
``found``. It never trusts the proof's own claims beyond what it recomputes.
"""

from __future__ import annotations

from cargotrail.contract.records import AnchorReceipt, Proof
from cargotrail.errors import VerificationError
from ledger.core.canonical import canonical_bytes
from ledger.core.hashing import HASH_SIZE, leaf_hash
from ledger.core.merkle import root_from_path
from ledger.core.proofs import Anchorable, record_id


def _unhex(value: str, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = b""
    if len(raw) != HASH_SIZE:
        raise VerificationError(what, expected="64 hex digits", found=repr(value[:80]))
    return raw


def verify_proof(proof: Proof, root_hex: str) -> None:
    """Check that ``proof.path`` leads from ``proof.leaf_hash`` to ``root_hex``."""
    where = f"record {proof.record_id} in batch {proof.batch_id}"
    leaf = _unhex(proof.leaf_hash, f"leaf hash of {where}")
    root = _unhex(root_hex, f"anchored root of batch {proof.batch_id}")
    path = [_unhex(p, f"proof step {k} of {where}") for k, p in enumerate(proof.path)]
    reached = root_from_path(leaf, proof.leaf_index, proof.tree_size, path)
    if reached is None:
        raise VerificationError(
            f"audit path shape of {where} (leaf {proof.leaf_index} of {proof.tree_size})",
            expected="a path that climbs exactly to the root",
            found=f"{len(path)} steps that do not",
        )
    if reached != root:
        raise VerificationError(
            f"Merkle root of batch {proof.batch_id} via {where}", expected=root_hex, found=reached.hex()
        )


def verify_record(record: Anchorable, proof: Proof, receipt: AnchorReceipt | str) -> None:
    """Verify ``record`` against ``proof`` and the anchored root (a receipt or a hex root)."""
    rid = record_id(record)
    if rid != proof.record_id:
        raise VerificationError(
            f"record id of proof in batch {proof.batch_id}", expected=rid, found=proof.record_id
        )
    if isinstance(receipt, AnchorReceipt):
        if receipt.batch_id != proof.batch_id:
            raise VerificationError(
                f"batch id of proof for record {rid}", expected=receipt.batch_id, found=proof.batch_id
            )
        if receipt.size != proof.tree_size:
            raise VerificationError(
                f"tree size of batch {proof.batch_id} for record {rid}",
                expected=str(receipt.size),
                found=str(proof.tree_size),
            )
        root_hex = receipt.root
    else:
        root_hex = receipt
    computed = leaf_hash(canonical_bytes(record)).hex()
    if computed != proof.leaf_hash:
        raise VerificationError(
            f"leaf hash of record {rid} in batch {proof.batch_id} (record differs from what was anchored)",
            expected=proof.leaf_hash,
            found=computed,
        )
    verify_proof(proof, root_hex)
