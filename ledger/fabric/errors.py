"""Typed errors per Gateway stage, translated from gRPC at this boundary.

    cargotrail.errors.LedgerError
    └── FabricError                 a stage failed: .stage, .code, .details, .tx_id, .batch_id
        ├── EvaluateError           a query was refused (chaincode error, access denied)
        ├── EndorseError            endorsement refused (chaincode refusal, policy, bad signature)
        ├── SubmitError             the orderer refused the endorsed transaction
        ├── CommitStatusError       the commit status could not be read
        ├── CommitError             committed but invalid: .validation_code (e.g. MVCC_READ_CONFLICT)
        └── FabricUnavailable       also a cargotrail LedgerUnavailable: retry later (peer or orderer
                                    down, no Raft leader, deadline exceeded, MVCC conflict)

Stages are ``evaluate``, ``endorse``, ``submit``, ``commit_status``, ``commit``, ``events``.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from fabric_protos.gateway import gateway_pb2

from cargotrail.errors import LedgerError, LedgerUnavailable

# gRPC codes meaning "not now": the same request may succeed later.
_RETRYABLE = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.CANCELLED,
}
# Words in a Gateway answer that mean a node is missing, not that the request is wrong. "No peer
# combination" is how the Gateway says one organisation's peer is down (the policy needs both).
_TRANSIENT_WORDS = (
    "no Raft leader",
    "connection refused",
    "unavailable",
    "no peers available",
    "failed to connect",
    "no peer combination",
    "no combination of peers",
    "SERVICE_UNAVAILABLE",
    "deadline",
)


@dataclass(frozen=True)
class Detail:
    """One node's part of a Gateway error (``gateway.ErrorDetail``)."""

    address: str
    msp_id: str
    message: str


class FabricError(LedgerError):
    """A Gateway stage failed (see the module docstring)."""

    def __init__(
        self,
        message: str,
        *,
        stage: str,
        tx_id: str = "",
        batch_id: str = "",
        code: str = "",
        details: tuple[Detail, ...] = (),
    ) -> None:
        self.stage = stage
        self.code = code
        self.details = details
        where = (
            f"fabric {stage}"
            + (f" of tx {tx_id}" if tx_id else "")
            + (f" (batch {batch_id})" if batch_id else "")
        )
        said = "; ".join(f"{d.msp_id or d.address}: {d.message}" for d in details)
        super().__init__(
            f"{where}: {message}" + (f" [{said}]" if said else ""), batch_id=batch_id, tx_id=tx_id
        )


class EvaluateError(FabricError):
    """A query was refused."""


class EndorseError(FabricError):
    """Endorsement was refused (by the chaincode, the policy or signature checks)."""


class SubmitError(FabricError):
    """The orderer refused the transaction."""


class CommitStatusError(FabricError):
    """The commit status could not be obtained."""


class CommitError(FabricError):
    """The transaction was committed in a block but marked invalid."""

    def __init__(self, message: str, *, validation_code: str, block: int, **kw: str) -> None:
        self.validation_code = validation_code
        self.block = block
        super().__init__(message, stage="commit", **kw)  # type: ignore[arg-type]


class FabricUnavailable(LedgerUnavailable, FabricError):
    """Retryable: a node is down or slow, or a concurrent write conflicted."""


_BY_STAGE: dict[str, type[FabricError]] = {
    "evaluate": EvaluateError,
    "endorse": EndorseError,
    "submit": SubmitError,
    "commit_status": CommitStatusError,
    "events": EvaluateError,
}


def status_details(exc: grpc.RpcError) -> tuple[Detail, ...]:
    """The ``gateway.ErrorDetail`` entries of a gRPC error's rich status (none if absent)."""
    trailers = getattr(exc, "trailing_metadata", lambda: None)() or ()
    raw = next((v for k, v in trailers if k == "grpc-status-details-bin"), b"")
    out = []
    for any_bytes in _fields(raw if isinstance(raw, bytes) else b"", 3):  # google.rpc.Status.details
        value = b"".join(_fields(any_bytes, 2))  # google.protobuf.Any.value
        try:
            d = gateway_pb2.ErrorDetail.FromString(value)
        except Exception:
            continue
        out.append(Detail(address=d.address, msp_id=d.msp_id, message=d.message))
    return tuple(out)


def translate(exc: grpc.RpcError, *, stage: str, tx_id: str = "", batch_id: str = "") -> FabricError:
    """Our error for a gRPC failure at ``stage``: FabricUnavailable when retrying can help."""
    code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
    message = (exc.details() if hasattr(exc, "details") else "") or str(exc)
    details = status_details(exc)
    text = " ".join([message, *(d.message for d in details)]).lower()
    chaincode_said_no = "chaincode response 500" in text
    transient = any(w.lower() in text for w in _TRANSIENT_WORDS)
    cls: type[FabricError] = _BY_STAGE.get(stage, FabricError)
    if code in _RETRYABLE or (transient and not chaincode_said_no):
        cls = FabricUnavailable
    return cls(message, stage=stage, tx_id=tx_id, batch_id=batch_id, code=code.name, details=details)


def _fields(buf: bytes, number: int) -> list[bytes]:
    """The length-delimited fields ``number`` of a protobuf message (a minimal wire-format reader)."""
    out, i = [], 0
    try:
        while i < len(buf):
            key, i = _varint(buf, i)
            wire = key & 7
            if wire == 0:
                _, i = _varint(buf, i)
            elif wire == 2:
                n, i = _varint(buf, i)
                if key >> 3 == number:
                    out.append(buf[i : i + n])
                i += n
            elif wire in (1, 5):
                i += 8 if wire == 1 else 4
            else:
                break
    except IndexError:
        pass
    return out


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7
