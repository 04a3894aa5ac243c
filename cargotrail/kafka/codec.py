"""The wire format of cargotrail topics: msgspec JSON of the contract types plus headers.

Every value is one tagged contract record (``cargotrail.contract.records``) or one
of the control records below, encoded as JSON by msgspec (the hot-path schema
library; JSON rather than msgpack so that ``kcat`` and humans can read a topic).
Every message carries the header ``schema-version`` = ``SCHEMA_VERSION``; a
decoder refuses another version with ``ValidationError`` instead of guessing.

Keys are container ids (UTF-8), so all of a container's records share a
partition and stay in order. Control records (``Tick``) are sent to every
partition with the key ``TICK_KEY``.

Readings travel in ``Readings`` batches: the readings of one publish step that
hash to the same partition (murmur2 of the container id, see ``partitioner``),
in order, under ``READINGS_KEY``. A Kafka record costs a stream processor far
more than decoding one more reading, so this is what lets a worker keep up; a
single ``Reading`` is still a valid input. A batch with a bad reading is not
lost whole: ``decode_input_salvaging`` keeps the good ones and names the bad
one by its index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec

from cargotrail.contract.records import (
    SCHEMA_VERSION,
    Alert,
    GeofenceEvent,
    Reading,
    RfidRead,
    VoyagePlan,
)
from cargotrail.contract.validate import Rejection
from cargotrail.errors import ValidationError
from ledger.core.batch import BatchHeader
from ledger.core.merkle import tree_levels
from ledger.core.proofs import BatchProofs

LEAF_BYTES = 32  # a SHA-256 leaf hash

VERSION_HEADER = "schema-version"
FLAG_HEADER = "flag"  # on stored readings: store.base.ReadingFlag value
SOURCE_OFFSET_HEADER = "source-offset"  # on dead letters: the telemetry offset they stem from
TICK_KEY = b"~tick"
READINGS_KEY = b"~readings"
Headers = list[tuple[str, str | bytes | None]]  # as produce() takes them


class Tick(msgspec.Struct, frozen=True, kw_only=True, tag="tick", tag_field="type"):
    """The source vouches it has reached device time ``source_time`` (epoch s).

    It closes a micro-batch: everything before it on the partition is processed
    with this ``source_time`` (see ``Processors.process``). ``final`` marks the end
    of a bounded input (a seeded run): flush the reorder buffer and the anchor batch.
    """

    source_time: float
    final: bool = False


class Readings(msgspec.Struct, frozen=True, kw_only=True, tag="readings", tag_field="type"):
    """Readings of one partition, in the order they were published (see the module doc)."""

    readings: list[Reading]


class _RawReadings(msgspec.Struct, frozen=True, kw_only=True, tag="readings", tag_field="type"):
    readings: list[msgspec.Raw]


class AnchorBatch(msgspec.Struct, frozen=True, kw_only=True, tag="anchor-leaves", tag_field="type"):
    """A closed Merkle batch from a worker, for the single ledger writer (the sink).

    Its leaves, not its proofs: the proofs of a 10,000-record batch weigh ~11 MB (every path
    repeats tree nodes), the leaves 0.3 MB, and the sink rebuilds the tree from them in
    milliseconds (``batch_proofs``), checking it against the header's root. The tag changed
    with the shape, so a message of the former shape is refused, not misread.
    """

    header: BatchHeader
    record_ids: list[str]
    leaves: bytes  # the leaf hashes, 32 bytes each, in record order (base64 in JSON)

    @classmethod
    def of(cls, header: BatchHeader, proofs: BatchProofs) -> AnchorBatch:
        return cls(header=header, record_ids=list(proofs.record_ids), leaves=b"".join(proofs.leaves))

    def batch_proofs(self, where: str = "") -> BatchProofs:
        """The batch's proofs (built lazily); ``ValidationError`` when the leaves do not make the root."""
        h, raw = self.header, self.leaves
        if len(raw) != LEAF_BYTES * h.size or len(self.record_ids) != h.size:
            raise ValidationError(
                f"batch {h.batch_id} of {h.size} records carries {len(raw)} leaf bytes and "
                f"{len(self.record_ids)} record ids",
                field="leaves",
                record=where or h.batch_id,
            )
        levels = tree_levels([raw[i : i + LEAF_BYTES] for i in range(0, len(raw), LEAF_BYTES)])
        if levels[-1][0].hex() != h.root:
            raise ValidationError(
                f"batch {h.batch_id}: its leaves do not make its root",
                field="leaves",
                record=where or h.batch_id,
            )
        return BatchProofs(h.batch_id, self.record_ids, levels)


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


Input = Reading | Readings | RfidRead | VoyagePlan | Tick
Output = Reading | RfidRead | PlanSeen | GeofenceEvent | Alert | AnchorBatch | PartitionDone | DeadLetter

_encoder = msgspec.json.Encoder()
_input = msgspec.json.Decoder(Input)
_output = msgspec.json.Decoder(Output)
_raw_readings = msgspec.json.Decoder(_RawReadings)
_reading = msgspec.json.Decoder(Reading)
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


def _field_of(message: str) -> str:
    """The top-level field a msgspec error names ("... - at `$.lat`"; a batch's: "`$.readings[2].lat`")."""
    if "- at `$." not in message:
        return ""
    path = message.rsplit("- at `$.", 1)[1].rstrip("`")
    if path.startswith("readings["):
        path = path.split("]", 1)[1].lstrip(".")
    return path.split("[", 1)[0].split(".", 1)[0]


def decode_input(value: bytes, headers: RawHeaders, where: str = "") -> Input:
    """One telemetry-topic value; ``ValidationError`` (field + ``where``) when it is not one."""
    _check_version(headers, where)
    try:
        record: Input = _input.decode(value)
        return record
    except msgspec.ValidationError as exc:
        raise ValidationError(str(exc), field=_field_of(str(exc)), record=where) from None
    except msgspec.DecodeError as exc:
        raise ValidationError(f"not JSON: {exc}", record=where) from None


def decode_input_salvaging(
    value: bytes, headers: RawHeaders, where: str = ""
) -> tuple[Input | None, list[ValidationError]]:
    """Like ``decode_input``, but a ``Readings`` batch with bad readings keeps its good ones.

    Returns the record (None when nothing could be read) and one error per refused
    part; a refused reading is named ``<where>#<index in the batch>``.
    """
    try:
        return decode_input(value, headers, where), []
    except ValidationError as whole:
        if whole.field == VERSION_HEADER:
            return None, [whole]
        try:
            raw = _raw_readings.decode(value)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return None, [whole]  # not a batch of readings: refused as one record
    good: list[Reading] = []
    bad: list[ValidationError] = []
    for i, item in enumerate(raw.readings):
        try:
            good.append(_reading.decode(item))
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            bad.append(ValidationError(str(exc), field=_field_of(str(exc)), record=f"{where}#{i}"))
    return Readings(readings=good), bad


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
