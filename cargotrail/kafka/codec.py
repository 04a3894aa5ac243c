"""The wire format of cargotrail topics: msgspec JSON of the contract types plus headers.

Every value is one tagged contract record (``cargotrail.contract.records``) or one
of the control records below, encoded as JSON by msgspec (the hot-path schema
library; JSON rather than msgpack so that ``kcat`` and humans can read a topic).
Every message carries the header ``schema-version`` = ``SCHEMA_VERSION``; a
decoder refuses another version with ``ValidationError`` instead of guessing.

Keys are container ids (UTF-8), so all of a container's records share a
partition and stay in order. Control records (``Tick``) are sent to every
partition with the key ``TICK_KEY``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec

from cargotrail.contract.records import (
    SCHEMA_VERSION,
    Alert,
    GeofenceEvent,
    Proof,
    Reading,
    RfidRead,
    VoyagePlan,
)
from cargotrail.contract.validate import Rejection
from cargotrail.errors import ValidationError
from ledger.core.batch import BatchHeader

VERSION_HEADER = "schema-version"
FLAG_HEADER = "flag"  # on stored readings: store.base.ReadingFlag value
SOURCE_OFFSET_HEADER = "source-offset"  # on dead letters: the telemetry offset they stem from
TICK_KEY = b"~tick"
Headers = list[tuple[str, str | bytes | None]]  # as produce() takes them


class Tick(msgspec.Struct, frozen=True, kw_only=True, tag="tick", tag_field="type"):
    """The source vouches it has reached device time ``source_time`` (epoch s).

    It closes a micro-batch: everything before it on the partition is processed
    with this ``source_time`` (see ``Processors.process``). ``final`` marks the end
    of a bounded input (a seeded run): flush the reorder buffer and the anchor batch.
    """

    source_time: float
    final: bool = False


class AnchorBatch(msgspec.Struct, frozen=True, kw_only=True, tag="anchor-batch", tag_field="type"):
    """A closed Merkle batch from a worker, for the single ledger writer (the sink)."""

    header: BatchHeader
    proofs: list[Proof]


class PartitionDone(msgspec.Struct, frozen=True, kw_only=True, tag="done", tag_field="type"):
    """A worker finished a bounded input on ``partition``; every output before it is durable."""

    partition: int
    stream: str


class PlanSeen(msgspec.Struct, frozen=True, kw_only=True, tag="plan-seen", tag_field="type"):
    """A voyage plan as the store keeps it: with the time the pipeline saw it."""

    plan: VoyagePlan
    seen_ts: float


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True, tag="dead-letter", tag_field="type"):
    rejection: Rejection
    ts: float


Input = Reading | RfidRead | VoyagePlan | Tick
Output = Reading | RfidRead | PlanSeen | GeofenceEvent | Alert | AnchorBatch | PartitionDone | DeadLetter

_encoder = msgspec.json.Encoder()
_input = msgspec.json.Decoder(Input)
_output = msgspec.json.Decoder(Output)
_VERSION = str(SCHEMA_VERSION).encode()
VERSION_HEADERS: Headers = [(VERSION_HEADER, _VERSION)]


def encode(record: object) -> bytes:
    return _encoder.encode(record)


# What a consumed message's ``headers()`` can be, depending on the client version.
RawHeaders = Mapping[str, str | bytes | None] | Sequence[tuple[str, str | bytes | None]] | None


def _pairs(headers: RawHeaders) -> list[tuple[str, bytes | None]]:
    """Headers as (name, bytes) pairs, whatever shape the client handed them in."""
    items = headers.items() if isinstance(headers, Mapping) else (headers or ())
    return [(k, v.encode() if isinstance(v, str) else v) for k, v in items]


def _check_version(headers: RawHeaders, where: str) -> None:
    for name, value in _pairs(headers):
        if name == VERSION_HEADER:
            if value != _VERSION:
                raise ValidationError(
                    f"schema version {value!r}, this build reads {SCHEMA_VERSION}",
                    field=VERSION_HEADER,
                    record=where,
                )
            return
    raise ValidationError("no schema-version header", field=VERSION_HEADER, record=where)


def decode_input(value: bytes, headers: RawHeaders, where: str = "") -> Input:
    """One telemetry-topic value; ``ValidationError`` (field + ``where``) when it is not one."""
    _check_version(headers, where)
    try:
        record: Input = _input.decode(value)
        return record
    except msgspec.ValidationError as exc:
        raise ValidationError(str(exc), record=where) from None
    except msgspec.DecodeError as exc:
        raise ValidationError(f"not JSON: {exc}", record=where) from None


def decode_output(value: bytes, headers: RawHeaders, where: str = "") -> Output:
    """One output-topic value (events, alerts, anchors, ...), same contract as ``decode_input``."""
    _check_version(headers, where)
    try:
        out: Output = _output.decode(value)
        return out
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ValidationError(str(exc), record=where) from None


def header(headers: RawHeaders, name: str) -> bytes | None:
    for k, v in _pairs(headers):
        if k == name:
            return v
    return None
