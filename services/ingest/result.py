"""What a parser returns: accepted readings, rejections (dead letters) and explained skips."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from cargotrail.contract.records import Reading
from cargotrail.contract.validate import Rejection

RAW_LIMIT = 4096  # dead letters keep at most this many characters of the raw payload


class Skipped(msgspec.Struct, frozen=True, kw_only=True):
    """A valid message that carries no container telemetry (an AIS base station, an NMEA route...).

    Not an error: it is counted and explained, never sent to the dead-letter table.
    """

    source: str
    position: int
    record: str
    reason: str


class VesselInfo(msgspec.Struct, frozen=True, kw_only=True):
    """AIS static and voyage data of one vessel (types 5 and 24), kept beside the readings."""

    mmsi: int
    name: str = ""
    callsign: str = ""
    imo: int | None = None
    destination: str = ""
    ship_type: int | None = None


@dataclass
class ParseResult:
    """Every input message lands in exactly one of ``readings``, ``rejections``, ``skipped``.

    (One AIS position of a vessel carrying n containers gives n readings.) ``vessels`` and
    ``bindings`` are side information: static AIS data, and EPCIS association changes applied to
    the registry as ``(device_id, container_id or None when unbound)``.
    """

    readings: list[Reading] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    vessels: list[VesselInfo] = field(default_factory=list)
    bindings: list[tuple[str, str | None]] = field(default_factory=list)

    def reject(
        self, source: str, position: int, reason: str, raw: str, *, record: str = "", field: str = ""
    ) -> None:
        self.rejections.append(
            Rejection(
                source=source,
                position=position,
                record=record or f"#{position}",
                field=field,
                reason=reason,
                raw=raw[:RAW_LIMIT],
            )
        )

    def skip(self, source: str, position: int, reason: str, *, record: str = "") -> None:
        self.skipped.append(
            Skipped(source=source, position=position, record=record or f"#{position}", reason=reason)
        )


def epoch_ms(ts: datetime) -> int:
    """A sequence number from device time, for feeds that have none (NMEA, EPCIS).

    Monotonic per device as long as its clock is, and deterministic: ingesting the same file
    twice gives the same reading ids, so the store keeps each fix once.
    """
    return int(ts.timestamp() * 1000)
