"""Auditor verification of one record, and tampering with record, proof or root."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from cargotrail.contract.records import AnchorReceipt, LedgerKind
from cargotrail.errors import VerificationError
from ledger.core.batch import GENESIS_ROOT
from ledger.core.verify import verify_record
from streams.processors.batcher import AnchoringBatcher, ClosedBatch
from tests.ledger.conftest import mixed_records, reading


def _batch(records: list) -> ClosedBatch:  # type: ignore[type-arg]
    b = AnchoringBatcher("telemetry", max_records=len(records), max_seconds=3600)
    (closed,) = b.add(records)
    return closed


def _receipt(c: ClosedBatch) -> AnchorReceipt:
    return c.header.receipt(ledger=LedgerKind.LOCAL, tx_id="t" * 64, block=0)


def test_every_record_verifies() -> None:
    records = [*mixed_records(), *(reading(i) for i in range(2, 12))]
    c = _batch(records)
    for record, proof in zip(records, c.proofs, strict=True):
        verify_record(record, proof, _receipt(c))
        verify_record(record, proof, c.header.root)


def test_changed_record_is_named() -> None:
    records = [reading(i) for i in range(5)]
    c = _batch(records)
    tampered = reading(3, temperature_c=4.5)  # one changed value, same id
    with pytest.raises(VerificationError) as err:
        verify_record(tampered, c.proofs[3], _receipt(c))
    assert c.proofs[3].record_id in err.value.what and c.header.batch_id in err.value.what
    assert "leaf hash" in err.value.what and err.value.expected == c.proofs[3].leaf_hash


def test_changed_proof_step_and_root_are_named() -> None:
    records = [reading(i) for i in range(7)]
    c = _batch(records)
    p = c.proofs[6]
    step = p.path[1]
    flipped = ("0" if step[0] != "0" else "1") + step[1:]
    bad = replace(p, path=[p.path[0], flipped, *p.path[2:]])
    with pytest.raises(VerificationError, match="Merkle root of batch") as err:
        verify_record(records[6], bad, _receipt(c))
    assert err.value.expected == c.header.root and err.value.found != c.header.root
    with pytest.raises(VerificationError, match="Merkle root"):
        verify_record(records[6], p, "f" * 64)  # a stored root changed
    with pytest.raises(VerificationError, match="proof step 0"):
        verify_record(records[6], replace(p, path=["zz", *p.path[1:]]), c.header.root)
    with pytest.raises(VerificationError, match="record id"):
        verify_record(records[5], p, c.header.root)
    with pytest.raises(VerificationError, match="path shape"):
        verify_record(records[6], replace(p, path=p.path[:-1]), c.header.root)
    other = replace(_receipt(c), batch_id="x" * 32)
    with pytest.raises(VerificationError, match="batch id"):
        verify_record(records[6], p, other)
    assert c.header.prev_root == GENESIS_ROOT


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.data())
def test_any_single_byte_change_of_a_record_field_is_detected(n: int, data: st.DataObject) -> None:
    records = [reading(i) for i in range(n)]
    c = _batch(records)
    m = data.draw(st.integers(0, n - 1))
    delta = data.draw(st.sampled_from([1e-9, -1e-9, 1.0, 0.5]))
    changed = reading(m, lat=records[m].lat + delta)
    with pytest.raises(VerificationError):
        verify_record(changed, c.proofs[m], _receipt(c))
