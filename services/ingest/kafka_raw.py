"""Schema checks for readings integrators produce to Kafka themselves (pure: no client, no I/O).

An integrator produces one ``Reading`` (msgspec JSON of the contract, the ``type`` tag optional)
per record to the raw ingest topic, with the header ``schema-version`` = ``SCHEMA_VERSION``.
``check_records`` splits a polled chunk: every record is either a checked reading or a
``Rejection`` (source ``kafka``) naming the record (``<topic>[<partition>]@<offset>``, or
``container/device#seq`` once decoded), the field and the reason, with the raw value kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from cargotrail.contract.records import SCHEMA_VERSION, Reading
from cargotrail.contract.validate import Rejection, check_reading
from cargotrail.errors import ValidationError
from cargotrail.kafka.codec import VERSION_HEADER, RawHeaders, header
from services.ingest.result import RAW_LIMIT

SOURCE = "kafka"
RAW_TOPIC = "ingest.raw"  # under the namespace: <prefix>.ingest.raw

_decode = msgspec.json.Decoder(Reading)
_VERSION = str(SCHEMA_VERSION).encode()


@dataclass(frozen=True)
class RawRecord:
    """What the consumer polled, without the client's types (so this module stays pure)."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    headers: RawHeaders

    @property
    def where(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"


def check_record(rec: RawRecord, *, now_s: float, max_future_s: float) -> Reading:
    """The record's reading, or ``ValidationError`` naming the field and the record."""
    version = header(rec.headers, VERSION_HEADER)
    if version is None:
        raise ValidationError("no schema-version header", field=VERSION_HEADER, record=rec.where)
    if version != _VERSION:
        shown = version.decode(errors="replace")
        raise ValidationError(
            f"schema version {shown!r}, this gateway reads {SCHEMA_VERSION}",
            field=VERSION_HEADER,
            record=rec.where,
        )
    if not rec.value:
        raise ValidationError("empty value (a tombstone is not a reading)", field="value", record=rec.where)
    try:
        reading = _decode.decode(rec.value)
    except msgspec.ValidationError as exc:
        message = str(exc)
        field = message.rsplit("- at `$.", 1)[1].rstrip("`").split("[", 1)[0] if "- at `$." in message else ""
        if not field and "missing required field" in message:
            field = message.split("`")[1]
        field = field or "value"  # no path: the value as a whole is no reading object
        raise ValidationError(message, field=field, record=rec.where) from None
    except msgspec.DecodeError as exc:
        raise ValidationError(f"not JSON: {exc}", field="value", record=rec.where) from None
    return check_reading(reading, now_s=now_s, max_future_s=max_future_s, position=rec.offset)


def check_records(
    records: Sequence[RawRecord], *, now_s: float, max_future_s: float
) -> tuple[list[Reading], list[Rejection]]:
    """Split a chunk into checked readings and rejections (one outcome per record, order kept)."""
    good: list[Reading] = []
    bad: list[Rejection] = []
    for rec in records:
        try:
            good.append(check_record(rec, now_s=now_s, max_future_s=max_future_s))
        except ValidationError as exc:
            raw = (rec.value or b"")[:RAW_LIMIT].decode(errors="replace")
            bad.append(
                Rejection(
                    source=SOURCE,
                    position=rec.offset,
                    record=exc.record if "#" in exc.record else rec.where,
                    field=exc.field,
                    reason=f"{exc.reason} ({rec.where})" if "#" in exc.record else exc.reason,
                    raw=raw,
                )
            )
    return good, bad
