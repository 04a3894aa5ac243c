"""Input validation: decode and check records one by one, never losing the good ones.

A batch with a bad record in it is split: every valid record goes on, every
invalid one becomes a ``Rejection`` naming the record, the field and the
reason, with the raw payload kept for the dead-letter queue.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import datetime

import msgspec

from cargotrail.contract.iso6346 import is_valid_container_id
from cargotrail.contract.records import Reading, RfidRead
from cargotrail.errors import ValidationError


class Rejection(msgspec.Struct, frozen=True, kw_only=True):
    """Why one input record was refused (it goes to the dead-letter queue)."""

    source: str
    position: int  # index of the record in its batch or line number in its file
    record: str  # "container/device#seq" when known, else "#position"
    field: str
    reason: str
    raw: str


_decode_raw_list = msgspec.json.Decoder(list[msgspec.Raw])
_decode_reading = msgspec.json.Decoder(Reading)


def _field_of(message: str) -> str:
    # msgspec says e.g. "Expected `float`, got `str` - at `$.lat`"
    if "- at `$." in message:
        return message.rsplit("- at `$.", 1)[1].rstrip("`").split("[", 1)[0].split(".", 1)[0]
    if "missing required field" in message:
        return message.split("`")[1]
    return ""


def _label(reading: Reading | None, position: int) -> str:
    if reading is None:
        return f"#{position}"
    return f"{reading.container_id}/{reading.device_id}#{reading.seq}"


def check_reading(reading: Reading, *, now_s: float, max_future_s: float, position: int = 0) -> Reading:
    """Return the reading if it is plausible, else raise ``ValidationError`` naming the field."""
    label = _label(reading, position)
    if not is_valid_container_id(reading.container_id):
        raise ValidationError(
            f"{reading.container_id!r} is not a valid ISO 6346 container number (check digit or format)",
            field="container_id",
            record=label,
        )
    if not reading.device_id:
        raise ValidationError("device id is empty", field="device_id", record=label)
    if reading.seq < 0:
        raise ValidationError(f"sequence number {reading.seq} is negative", field="seq", record=label)
    if not (math.isfinite(reading.lat) and -90.0 <= reading.lat <= 90.0):
        raise ValidationError(f"latitude {reading.lat} is not in [-90, 90]", field="lat", record=label)
    if not (math.isfinite(reading.lon) and -180.0 <= reading.lon <= 180.0):
        raise ValidationError(f"longitude {reading.lon} is not in [-180, 180]", field="lon", record=label)
    if reading.ts.tzinfo is None:
        raise ValidationError("timestamp has no time zone (UTC expected)", field="ts", record=label)
    ahead = reading.ts.timestamp() - now_s
    if ahead > max_future_s:
        raise ValidationError(
            f"timestamp {reading.ts.isoformat()} is {ahead:.0f} s in the future (limit {max_future_s:.0f} s)",
            field="ts",
            record=label,
        )
    for name in ("speed_kmh", "heading", "hdop", "temperature_c", "humidity_pct", "shock_g", "battery_pct"):
        value = getattr(reading, name)
        if value is not None and not math.isfinite(value):
            raise ValidationError(f"{name} is {value}", field=name, record=label)
    if reading.battery_pct is not None and not 0.0 <= reading.battery_pct <= 100.0:
        raise ValidationError(
            f"battery {reading.battery_pct}% is not in [0, 100]", field="battery_pct", record=label
        )
    return reading


def check_rfid(read: RfidRead, *, now_s: float, max_future_s: float, position: int = 0) -> RfidRead:
    label = f"{read.container_id}/{read.reader_id}#{position}"
    if not is_valid_container_id(read.container_id):
        raise ValidationError(
            f"{read.container_id!r} is not a valid ISO 6346 container number",
            field="container_id",
            record=label,
        )
    if read.ts.tzinfo is None:
        raise ValidationError("timestamp has no time zone (UTC expected)", field="ts", record=label)
    if read.ts.timestamp() - now_s > max_future_s:
        raise ValidationError(f"timestamp {read.ts.isoformat()} is in the future", field="ts", record=label)
    return read


def split_readings(
    readings: Iterable[Reading], *, now: datetime, max_future_s: float, source: str = ""
) -> tuple[list[Reading], list[Rejection]]:
    """Check already-decoded readings; return (valid, rejections)."""
    now_s = now.timestamp()
    good: list[Reading] = []
    bad: list[Rejection] = []
    for i, reading in enumerate(readings):
        try:
            good.append(check_reading(reading, now_s=now_s, max_future_s=max_future_s, position=i))
        except ValidationError as exc:
            bad.append(
                Rejection(
                    source=source or reading.source,
                    position=i,
                    record=exc.record,
                    field=exc.field,
                    reason=exc.reason,
                    raw=msgspec.json.encode(reading).decode(),
                )
            )
    return good, bad


def split_rfid(
    reads: Iterable[RfidRead], *, now_s: float, max_future_s: float
) -> tuple[list[RfidRead], list[Rejection]]:
    """Check already-decoded RFID reads; return (valid, rejections)."""
    good: list[RfidRead] = []
    bad: list[Rejection] = []
    for i, read in enumerate(reads):
        try:
            good.append(check_rfid(read, now_s=now_s, max_future_s=max_future_s, position=i))
        except ValidationError as exc:
            bad.append(
                Rejection(
                    source=read.source,
                    position=i,
                    record=exc.record,
                    field=exc.field,
                    reason=exc.reason,
                    raw=str(read),
                )
            )
    return good, bad


def decode_readings(
    payload: bytes, *, now: datetime, max_future_s: float, source: str
) -> tuple[list[Reading], list[Rejection]]:
    """Decode a JSON array of readings element by element; one bad element spoils nothing else."""
    try:
        items: list[object] = list(_decode_raw_list.decode(payload))
    except msgspec.DecodeError as exc:
        # Senders do emit NaN/Infinity, which strict JSON (msgspec) refuses for the
        # whole array; the stdlib parser accepts them, so split there and let each
        # element fail on its own.
        try:
            parsed = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            parsed = None
        if isinstance(parsed, list):
            items = parsed
        else:
            return [], [
                Rejection(
                    source=source,
                    position=0,
                    record="#batch",
                    field="",
                    reason=f"payload is not a JSON array: {exc}",
                    raw=payload[:4096].decode(errors="replace"),
                )
            ]
    now_s = now.timestamp()
    good: list[Reading] = []
    bad: list[Rejection] = []
    for i, item in enumerate(items):
        raw = bytes(item) if isinstance(item, msgspec.Raw) else json.dumps(item, allow_nan=True).encode()
        reading: Reading | None = None
        try:
            if isinstance(item, msgspec.Raw):
                reading = _decode_reading.decode(raw)
            else:
                reading = msgspec.convert(item, Reading)
            good.append(check_reading(reading, now_s=now_s, max_future_s=max_future_s, position=i))
        except msgspec.ValidationError as exc:
            bad.append(
                Rejection(
                    source=source,
                    position=i,
                    record=_label(reading, i),
                    field=_field_of(str(exc)),
                    reason=str(exc),
                    raw=raw.decode(errors="replace"),
                )
            )
        except msgspec.DecodeError as exc:
            bad.append(
                Rejection(
                    source=source,
                    position=i,
                    record=f"#{i}",
                    field="",
                    reason=f"not valid JSON: {exc}",
                    raw=raw.decode(errors="replace"),
                )
            )
        except ValidationError as exc:
            bad.append(
                Rejection(
                    source=source,
                    position=i,
                    record=exc.record,
                    field=exc.field,
                    reason=exc.reason,
                    raw=raw.decode(errors="replace"),
                )
            )
    return good, bad
