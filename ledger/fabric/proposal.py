"""Building and signing Gateway requests: pure protobuf and crypto, no network.

What the official Fabric Gateway clients do, step by step:

- transaction id = hex(SHA-256(nonce || creator)), nonce = 24 random bytes; the peer recomputes it;
- ``Proposal{header = Header{ChannelHeader(ENDORSER_TRANSACTION, tx id, time, channel,
  ChaincodeHeaderExtension{chaincode}), SignatureHeader{creator, nonce}}, payload =
  ChaincodeProposalPayload{ChaincodeInvocationSpec{chaincode, args = [function, *args]}}}``,
  signed into a ``SignedProposal``;
- a prepared transaction (Endorse's answer) is signed over its ``payload`` before Submit;
- commit status and chaincode events requests are serialized, then signed.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.orderer import ab_pb2
from fabric_protos.peer import chaincode_pb2, proposal_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from ledger.fabric.identity import Signer

NONCE_BYTES = 24


def tx_id_for(nonce: bytes, creator: bytes) -> str:
    """The transaction id Fabric derives from a nonce and the creator's serialized identity."""
    return hashlib.sha256(nonce + creator).hexdigest()


@dataclass(frozen=True)
class Proposal:
    """A signed proposal and the ids it was built with."""

    tx_id: str
    signed: proposal_pb2.SignedProposal


def build_proposal(
    signer: Signer,
    channel: str,
    chaincode: str,
    function: str,
    args: Sequence[str | bytes] = (),
    *,
    nonce: bytes | None = None,
    now_ns: int | None = None,
) -> Proposal:
    """A signed chaincode invocation of ``function(*args)`` on ``chaincode`` in ``channel``.

    ``nonce`` and ``now_ns`` are for tests; by default a fresh random nonce and the clock.
    """
    creator = signer.creator
    nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
    tx_id = tx_id_for(nonce, creator)
    ts = Timestamp()
    ts.FromNanoseconds(time.time_ns() if now_ns is None else now_ns)
    cc_id = chaincode_pb2.ChaincodeID(name=chaincode)
    channel_header = common_pb2.ChannelHeader(
        type=common_pb2.HeaderType.ENDORSER_TRANSACTION,
        tx_id=tx_id,
        timestamp=ts,
        channel_id=channel,
        epoch=0,
        extension=proposal_pb2.ChaincodeHeaderExtension(chaincode_id=cc_id).SerializeToString(),
    )
    header = common_pb2.Header(
        channel_header=channel_header.SerializeToString(),
        signature_header=common_pb2.SignatureHeader(creator=creator, nonce=nonce).SerializeToString(),
    )
    raw_args = [function.encode()] + [a if isinstance(a, bytes) else a.encode() for a in args]
    spec = chaincode_pb2.ChaincodeSpec(
        type=chaincode_pb2.ChaincodeSpec.Type.GOLANG,
        chaincode_id=cc_id,
        input=chaincode_pb2.ChaincodeInput(args=raw_args),
    )
    payload = proposal_pb2.ChaincodeProposalPayload(
        input=chaincode_pb2.ChaincodeInvocationSpec(chaincode_spec=spec).SerializeToString()
    )
    proposal_bytes = proposal_pb2.Proposal(
        header=header.SerializeToString(), payload=payload.SerializeToString()
    ).SerializeToString()
    signed = proposal_pb2.SignedProposal(proposal_bytes=proposal_bytes, signature=signer.sign(proposal_bytes))
    return Proposal(tx_id=tx_id, signed=signed)


def sign_envelope(signer: Signer, envelope: common_pb2.Envelope) -> common_pb2.Envelope:
    """The prepared transaction with the client's signature over its payload (in place, returned)."""
    envelope.signature = signer.sign(envelope.payload)
    return envelope


def commit_status_request(signer: Signer, channel: str, tx_id: str) -> gateway_pb2.SignedCommitStatusRequest:
    """A signed request for the commit status of ``tx_id``."""
    request = gateway_pb2.CommitStatusRequest(
        transaction_id=tx_id, channel_id=channel, identity=signer.creator
    )
    raw = request.SerializeToString()
    return gateway_pb2.SignedCommitStatusRequest(request=raw, signature=signer.sign(raw))


def chaincode_events_request(
    signer: Signer, channel: str, chaincode: str, start_block: int | None = None
) -> gateway_pb2.SignedChaincodeEventsRequest:
    """A signed request for ``chaincode``'s events from ``start_block`` (None: from the next commit)."""
    if start_block is None:
        position = ab_pb2.SeekPosition(next_commit=ab_pb2.SeekNextCommit())
    else:
        position = ab_pb2.SeekPosition(specified=ab_pb2.SeekSpecified(number=start_block))
    request = gateway_pb2.ChaincodeEventsRequest(
        channel_id=channel, chaincode_id=chaincode, identity=signer.creator, start_position=position
    )
    raw = request.SerializeToString()
    return gateway_pb2.SignedChaincodeEventsRequest(request=raw, signature=signer.sign(raw))


def chaincode_result(envelope: common_pb2.Envelope) -> bytes:
    """The chaincode's return value inside a prepared (endorsed) transaction envelope."""
    from fabric_protos.peer import proposal_response_pb2, transaction_pb2

    payload = common_pb2.Payload.FromString(envelope.payload)
    tx = transaction_pb2.Transaction.FromString(payload.data)
    action = transaction_pb2.ChaincodeActionPayload.FromString(tx.actions[0].payload)
    prp = proposal_response_pb2.ProposalResponsePayload.FromString(action.action.proposal_response_payload)
    return bytes(proposal_pb2.ChaincodeAction.FromString(prp.extension).response.payload)
