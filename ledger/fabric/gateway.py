"""A client of the Fabric Gateway service (peer gRPC): Evaluate, Endorse, Submit, CommitStatus, events.

The gRPC channel is injected (``connect`` makes a TLS one), so tests and tools can pass their own.
Every call has a deadline; every failure is translated into ``ledger.fabric.errors`` with the
stage and the transaction id. A submit is the whole Gateway flow: endorse (both organisations'
peers, chosen by the Gateway from the chaincode's policy), sign, submit to the orderer, then wait
for the commit status; it returns only once the transaction is valid in a block.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import grpc
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2, gateway_pb2_grpc
from fabric_protos.peer import transaction_pb2

from ledger.fabric.errors import CommitError, FabricUnavailable, translate
from ledger.fabric.identity import Signer
from ledger.fabric.proposal import (
    build_proposal,
    chaincode_events_request,
    chaincode_result,
    commit_status_request,
    sign_envelope,
)

# Validation codes a retry can cure: another transaction changed what this one read.
_RETRYABLE_CODES = {"MVCC_READ_CONFLICT", "PHANTOM_READ_CONFLICT"}


def connect(address: str, tls_ca_pem: bytes, server_name: str = "") -> grpc.Channel:
    """A TLS channel to a peer's Gateway, checking its certificate against ``tls_ca_pem``."""
    options: list[tuple[str, str | int]] = (
        [("grpc.ssl_target_name_override", server_name)] if server_name else []
    )
    options.append(("grpc.max_receive_message_length", 100 * 1024 * 1024))
    return grpc.secure_channel(address, grpc.ssl_channel_credentials(root_certificates=tls_ca_pem), options)


@dataclass(frozen=True)
class Committed:
    """A transaction valid in block ``block``, with the chaincode's return value."""

    tx_id: str
    block: int
    result: bytes


@dataclass(frozen=True)
class Event:
    """A chaincode event from a committed block."""

    block: int
    tx_id: str
    name: str
    payload: bytes


class Gateway:
    """One identity talking to one channel's chaincode through one peer's Gateway service."""

    def __init__(
        self,
        channel: grpc.Channel,
        signer: Signer,
        channel_name: str,
        chaincode: str,
        *,
        timeout_s: float = 10.0,
        commit_timeout_s: float = 30.0,
    ) -> None:
        self._stub = gateway_pb2_grpc.GatewayStub(channel)
        self._signer = signer
        self.channel_name = channel_name
        self.chaincode = chaincode
        self.timeout_s = timeout_s
        self.commit_timeout_s = commit_timeout_s

    def evaluate(
        self, function: str, args: Sequence[str | bytes] = (), *, chaincode: str = "", batch_id: str = ""
    ) -> bytes:
        """Run a query on one peer (nothing is ordered or committed) and return its result."""
        p = build_proposal(self._signer, self.channel_name, chaincode or self.chaincode, function, args)
        request = gateway_pb2.EvaluateRequest(
            transaction_id=p.tx_id, channel_id=self.channel_name, proposed_transaction=p.signed
        )
        try:
            response = self._stub.Evaluate(request, timeout=self.timeout_s)
        except grpc.RpcError as exc:
            raise translate(exc, stage="evaluate", tx_id=p.tx_id, batch_id=batch_id) from exc
        return bytes(response.result.payload)

    def endorse(
        self, function: str, args: Sequence[str | bytes] = (), *, batch_id: str = ""
    ) -> tuple[str, common_pb2.Envelope]:
        """Have ``function(*args)`` endorsed as the policy asks (the Gateway picks the peers by
        discovery); return the transaction id and the endorsed, not yet signed, transaction."""
        p = build_proposal(self._signer, self.channel_name, self.chaincode, function, args)
        endorse = gateway_pb2.EndorseRequest(
            transaction_id=p.tx_id, channel_id=self.channel_name, proposed_transaction=p.signed
        )
        try:
            return p.tx_id, self._stub.Endorse(endorse, timeout=self.timeout_s).prepared_transaction
        except grpc.RpcError as exc:
            raise translate(exc, stage="endorse", tx_id=p.tx_id, batch_id=batch_id) from exc

    def submit(self, function: str, args: Sequence[str | bytes] = (), *, batch_id: str = "") -> Committed:
        """Endorse, order and commit ``function(*args)``; return once it is valid in a block."""
        tx_id, prepared = self.endorse(function, args, batch_id=batch_id)
        return self.submit_prepared(tx_id, prepared, batch_id=batch_id)

    def submit_prepared(self, tx_id: str, prepared: common_pb2.Envelope, *, batch_id: str = "") -> Committed:
        """Sign an endorsed transaction, send it to the orderer and wait for its commit status."""
        result = chaincode_result(prepared)
        submit = gateway_pb2.SubmitRequest(
            transaction_id=tx_id,
            channel_id=self.channel_name,
            prepared_transaction=sign_envelope(self._signer, prepared),
        )
        try:
            self._stub.Submit(submit, timeout=self.timeout_s)
        except grpc.RpcError as exc:
            raise translate(exc, stage="submit", tx_id=tx_id, batch_id=batch_id) from exc
        block, code = self.commit_status(tx_id, batch_id=batch_id)
        if code != "VALID":
            cls = FabricUnavailable if code in _RETRYABLE_CODES else CommitError
            message = f"committed in block {block} as invalid: {code}"
            if cls is CommitError:
                raise CommitError(message, validation_code=code, block=block, tx_id=tx_id, batch_id=batch_id)
            raise FabricUnavailable(message, stage="commit", tx_id=tx_id, batch_id=batch_id, code=code)
        return Committed(tx_id=tx_id, block=block, result=result)

    def commit_status(self, tx_id: str, *, batch_id: str = "") -> tuple[int, str]:
        """(block number, validation code name) of ``tx_id``, waiting up to ``commit_timeout_s``."""
        request = commit_status_request(self._signer, self.channel_name, tx_id)
        try:
            response = self._stub.CommitStatus(request, timeout=self.commit_timeout_s)
        except grpc.RpcError as exc:
            raise translate(exc, stage="commit_status", tx_id=tx_id, batch_id=batch_id) from exc
        return response.block_number, transaction_pb2.TxValidationCode.Name(response.result)

    def events(self, start_block: int | None = None, *, timeout_s: float | None = None) -> Iterator[Event]:
        """This chaincode's events from ``start_block`` (None: new ones), until ``timeout_s`` passes."""
        request = chaincode_events_request(self._signer, self.channel_name, self.chaincode, start_block)
        stream = self._stub.ChaincodeEvents(request, timeout=timeout_s or self.commit_timeout_s)
        try:
            for response in stream:
                for e in response.events:
                    yield Event(
                        block=response.block_number, tx_id=e.tx_id, name=e.event_name, payload=e.payload
                    )
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                return  # the caller's time window is over: the stream simply ends
            raise translate(exc, stage="events") from exc
        finally:
            stream.cancel()

    def block_by_tx_id(self, tx_id: str) -> bytes:
        """The serialized block holding ``tx_id`` (system chaincode qscc, GetBlockByTxID)."""
        return self.evaluate("GetBlockByTxID", [self.channel_name, tx_id], chaincode="qscc")
