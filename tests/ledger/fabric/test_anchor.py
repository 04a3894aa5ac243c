"""Anchoring on the real Fabric network: write once, in order, query, verify (integration)."""

from __future__ import annotations

import json

import msgspec
import pytest
from msgspec.structs import replace

from cargotrail.contract.records import LedgerKind
from cargotrail.errors import LedgerError, LedgerUnavailable, VerificationError
from ledger.fabric.audit import check_block, check_evidence
from ledger.fabric.errors import EndorseError
from tests.ledger.fabric.helpers import headers

pytestmark = [pytest.mark.integration, pytest.mark.fabric]


def test_anchor_query_and_verify(fabric, stream, org_cas):
    hs = headers(stream, 3)
    receipts = [fabric.anchor(h) for h in hs]
    for h, r in zip(hs, receipts, strict=True):
        assert (r.batch_id, r.root, r.prev_root, r.ledger) == (
            h.batch_id,
            h.root,
            h.prev_root,
            LedgerKind.FABRIC,
        )
        assert len(r.tx_id) == 64 and r.block is not None
        assert fabric.get(h.batch_id) == r
        fabric.verify_entry(r)
    assert fabric.tip(stream) == hs[-1]
    assert fabric.list(stream) == hs
    assert fabric.list(stream, after_seq=0, limit=1) == hs[1:2]
    assert fabric.get("0" * 32) is None
    check = check_block(fabric.block_bytes(receipts[0]), receipts[0], org_cas)
    assert set(check.endorsers) == {"PortAuthorityMSP", "CustomsMSP"}  # both organisations endorsed


def test_identical_reanchor_is_idempotent_without_a_new_transaction(fabric, stream):
    (h,) = headers(stream, 1)
    first = fabric.anchor(h)
    assert fabric.anchor(h) == first


def test_a_second_write_with_a_different_root_is_refused(fabric, stream):
    (h,) = headers(stream, 1)
    first = fabric.anchor(h)
    with pytest.raises(LedgerError) as refused:
        fabric.anchor(replace(h, root="f" * 64))
    assert not isinstance(refused.value, LedgerUnavailable)
    assert refused.value.batch_id == h.batch_id and refused.value.tx_id == first.tx_id
    # Past the client's own check, the chaincode refuses it too (endorsement fails, both peers agree).
    args = [h.batch_id, h.stream, "0", "f" * 64, str(h.size), "a", "b", h.prev_root]
    with pytest.raises(EndorseError, match="already anchored with root") as endorse:
        fabric.gateway.submit("Anchor", args, batch_id=h.batch_id)
    assert endorse.value.tx_id and endorse.value.stage == "endorse"
    assert fabric.get(h.batch_id) == first


def test_out_of_order_and_forked_batches_are_refused(fabric, stream):
    h0, h1, h2 = headers(stream, 3)
    fabric.anchor(h0)
    with pytest.raises(LedgerError, match="seq in stream"):
        fabric.anchor(h2)  # a gap
    with pytest.raises(LedgerError, match="prev_root in stream"):
        fabric.anchor(replace(h1, prev_root="e" * 64))  # a fork
    assert fabric.tip(stream) == h0


def test_chaincode_event_carries_the_anchor(fabric, stream):
    (h,) = headers(stream, 1)
    r = fabric.anchor(h)
    events = fabric.gateway.events(start_block=r.block, timeout_s=10)
    found = next(e for e in events if e.tx_id == r.tx_id)
    assert found.name == "Anchored" and found.block == r.block
    assert json.loads(found.payload)["root"] == h.root


def test_an_altered_block_is_detected_offline(fabric, stream, org_cas):
    (h,) = headers(stream, 1)
    r = fabric.anchor(h)
    evidence = fabric.signed_entry(h.batch_id)
    assert evidence is not None
    bundle = json.loads(json.dumps(evidence))  # survives a JSON proof bundle
    assert check_evidence(bundle, r, org_cas).block == r.block
    block = fabric.block_bytes(r)
    forged_root = "0" * 64
    altered = block.replace(h.root.encode(), forged_root.encode())
    assert altered != block
    with pytest.raises(VerificationError, match="data hash"):
        check_block(altered, replace(r, root=forged_root), org_cas)
    with pytest.raises(VerificationError, match="root in the write set"):
        check_block(block, replace(r, root=forged_root), org_cas)
    with pytest.raises(VerificationError, match="transaction in block"):
        check_block(block, replace(r, tx_id="ab" * 32), org_cas)


def test_receipts_round_trip_through_the_contract_codec(fabric, stream):
    (h,) = headers(stream, 1)
    r = fabric.anchor(h)
    assert msgspec.json.decode(msgspec.json.encode(r), type=type(r)) == r
