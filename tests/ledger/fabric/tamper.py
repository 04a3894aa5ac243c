"""Edits of a Fabric proof bundle's block, as a forger would make them."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from fabric_protos.common import common_pb2
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.peer import proposal_pb2, proposal_response_pb2, transaction_pb2

from ledger.fabric.identity import Signer

Bundle = dict[str, Any]


def block_of(bundle: Bundle) -> common_pb2.Block:
    return common_pb2.Block.FromString(base64.b64decode(bundle["ledger"]["entry"]["block"]))


def with_block(bundle: Bundle, block: common_pb2.Block | bytes) -> Bundle:
    raw = block if isinstance(block, bytes) else block.SerializeToString()
    bundle["ledger"]["entry"]["block"] = base64.b64encode(raw).decode()
    return bundle


def replace_in_block(bundle: Bundle, old: str, new: str) -> Bundle:
    """Every occurrence of ``old`` in the block's bytes replaced (header left as it was)."""
    raw = base64.b64decode(bundle["ledger"]["entry"]["block"])
    assert old.encode() in raw
    return with_block(bundle, raw.replace(old.encode(), new.encode()))


def rehash(bundle: Bundle) -> Bundle:
    """The block's data hash recomputed over its (edited) transactions."""
    block = block_of(bundle)
    block.header.data_hash = hashlib.sha256(b"".join(block.data.data)).digest()
    return with_block(bundle, block)


def flag(code: int) -> Callable[[Bundle], Bundle]:
    """Set the validation flag of every transaction in the block to ``code``."""

    def edit(bundle: Bundle) -> Bundle:
        block = block_of(bundle)
        index = common_pb2.BlockMetadataIndex.TRANSACTIONS_FILTER
        block.metadata.metadata[index] = bytes([code]) * len(block.data.data)
        return with_block(bundle, block)

    return edit


def with_signatures_metadata(raw: bytes) -> Callable[[Bundle], Bundle]:
    """Replace the block's SIGNATURES metadata (which no hash covers) with ``raw``."""

    def edit(bundle: Bundle) -> Bundle:
        block = block_of(bundle)
        block.metadata.metadata[common_pb2.BlockMetadataIndex.SIGNATURES] = raw
        return with_block(bundle, block)

    return edit


def orderer_signature_header(raw: bytes) -> Callable[[Bundle], Bundle]:
    """The first orderer signature's signature header replaced by ``raw`` (the rest of SIGNATURES kept)."""

    def edit(bundle: Bundle) -> Bundle:
        block = block_of(bundle)
        index = common_pb2.BlockMetadataIndex.SIGNATURES
        md = common_pb2.Metadata.FromString(block.metadata.metadata[index])
        md.signatures[0].signature_header = raw
        block.metadata.metadata[index] = md.SerializeToString()
        return with_block(bundle, block)

    return edit


def with_envelope(raw: bytes) -> Callable[[Bundle], Bundle]:
    """The block's first transaction envelope replaced by ``raw``, data hash recomputed."""

    def edit(bundle: Bundle) -> Bundle:
        block = block_of(bundle)
        block.data.data[0] = raw
        return rehash(with_block(bundle, block))

    return edit


def _envelope(block: common_pb2.Block) -> tuple[common_pb2.Envelope, common_pb2.Payload]:
    (raw,) = block.data.data  # the captured block holds the anchoring transaction alone
    envelope = common_pb2.Envelope.FromString(raw)
    return envelope, common_pb2.Payload.FromString(envelope.payload)


def _put_envelope(bundle: Bundle, block: common_pb2.Block, envelope: common_pb2.Envelope) -> Bundle:
    block.data.data[0] = envelope.SerializeToString()
    return rehash(with_block(bundle, block))


def with_client_identity(creator: bytes) -> Callable[[Bundle], Bundle]:
    """The client's serialized identity in the transaction's signature header replaced by ``creator``."""

    def edit(bundle: Bundle) -> Bundle:
        block = block_of(bundle)
        envelope, payload = _envelope(block)
        header = common_pb2.SignatureHeader.FromString(payload.header.signature_header)
        header.creator = creator
        payload.header.signature_header = header.SerializeToString()
        envelope.payload = payload.SerializeToString()
        return _put_envelope(bundle, block, envelope)

    return edit


TxEdit = Callable[[transaction_pb2.Transaction], object]


def forge(client: Signer, edit: TxEdit) -> Callable[[Bundle], Bundle]:
    """The anchoring transaction edited, then signed again by ``client``, the block rehashed.

    An auditor who trusts ``client``'s CA for its MSP sees a well-signed transaction: what is
    left to catch is what ``edit`` broke.
    """

    def apply(bundle: Bundle) -> Bundle:
        block = block_of(bundle)
        envelope, payload = _envelope(block)
        tx = transaction_pb2.Transaction.FromString(payload.data)
        edit(tx)
        payload.data = tx.SerializeToString()
        header = common_pb2.SignatureHeader.FromString(payload.header.signature_header)
        header.creator = client.creator
        payload.header.signature_header = header.SerializeToString()
        envelope.payload = payload.SerializeToString()
        envelope.signature = client.sign(envelope.payload)
        return _put_envelope(bundle, block, envelope)

    return apply


def endorsed_by(peers: Sequence[Signer], edit: Callable[[bytes], bytes] = bytes) -> TxEdit:
    """A transaction edit: its proposal response payload passed through ``edit``, endorsed by ``peers``."""

    def apply(tx: transaction_pb2.Transaction) -> None:
        cap = transaction_pb2.ChaincodeActionPayload.FromString(tx.actions[0].payload)
        prp = edit(cap.action.proposal_response_payload)
        cap.action.proposal_response_payload = prp
        del cap.action.endorsements[:]
        for peer in peers:
            cap.action.endorsements.add(endorser=peer.creator, signature=peer.sign(prp + peer.creator))
        tx.actions[0].payload = cap.SerializeToString()

    return apply


def anchor_value(value: bytes) -> Callable[[bytes], bytes]:
    """A proposal response payload edit: every write in the read-write set now stores ``value``."""

    def apply(prp_bytes: bytes) -> bytes:
        prp = proposal_response_pb2.ProposalResponsePayload.FromString(prp_bytes)
        action = proposal_pb2.ChaincodeAction.FromString(prp.extension)
        rwset = rwset_pb2.TxReadWriteSet.FromString(action.results)
        for ns in rwset.ns_rwset:
            kv = kv_rwset_pb2.KVRWSet.FromString(ns.rwset)
            for w in kv.writes:
                w.value = value
            ns.rwset = kv.SerializeToString()
        action.results = rwset.SerializeToString()
        prp.extension = action.SerializeToString()
        return bytes(prp.SerializeToString())

    return apply
