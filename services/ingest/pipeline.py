"""Ingest a payload into the data directory: parse -> validate -> embedded runtime -> store, DLQ.

The edge around the pure parsers, shared by ``cargotrail ingest`` and ``cargotrail dlq replay``
(the transports share ``gateway`` instead). The device registry lives in the data directory as
``devices.json`` (mode 0600: it holds device keys); EPCIS associations found while parsing are
saved back to it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cargotrail.contract.validate import Rejection, split_readings
from cargotrail.errors import ConfigError
from cargotrail.settings import Settings
from services.ingest.ais import parse_ais
from services.ingest.devices import DeviceRegistry
from services.ingest.epcis import parse_epcis
from services.ingest.jsonbatch import parse_json
from services.ingest.nmea import parse_nmea
from services.ingest.result import ParseResult, Skipped
from services.ingest.sinks import EmbeddedSink, Sink

REGISTRY_FILE = "devices.json"
FORMATS = ("epcis", "nmea", "ais", "json")


def load_registry(data_dir: Path) -> DeviceRegistry:
    path = data_dir / REGISTRY_FILE
    return DeviceRegistry.from_json(path.read_bytes()) if path.exists() else DeviceRegistry()


def save_registry(data_dir: Path, registry: DeviceRegistry) -> None:
    """Write atomically (temp file + rename), readable by the owner only."""
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / f".{REGISTRY_FILE}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(registry.to_json())
    os.replace(tmp, data_dir / REGISTRY_FILE)


def parse(
    fmt: str,
    payload: bytes,
    *,
    registry: DeviceRegistry,
    device: str | None,
    now: datetime,
    max_future_s: float,
) -> ParseResult:
    """Run the parser of ``fmt`` on ``payload`` (text formats are decoded leniently, line by line)."""
    if fmt == "json":
        return parse_json(payload, now=now, max_future_s=max_future_s)
    if fmt == "epcis":
        return parse_epcis(payload, registry=registry)
    # A bad byte must spoil only its own line: replace it, and the line fails its checksum.
    lines = payload.decode("ascii", errors="replace").splitlines()
    if fmt == "ais":
        return parse_ais(lines, registry=registry, received=now)
    if fmt == "nmea":
        if not device:
            raise ConfigError("NMEA input needs the device it came from: pass --device ID")
        return parse_nmea(lines, device_id=device, registry=registry, reference=now)
    raise ConfigError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")


@dataclass
class IngestReport:
    """What happened to one payload: counts, and every rejection and skip with its reason."""

    source: str
    accepted: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    bindings: list[tuple[str, str | None]] = field(default_factory=list)


def ingest_payload(
    settings: Settings,
    fmt: str,
    payload: bytes,
    *,
    device: str | None = None,
    clock: Callable[[], float],
    dead_letters: bool = True,
    sink: Sink | None = None,
) -> IngestReport:
    """Parse ``payload``, store its valid readings through the embedded runtime, dead-letter the rest.

    ``dead_letters=False`` (a replay of a dead letter) stores nothing when anything is rejected:
    the dead letter stays as it is instead of being copied into a new one.
    ``sink``: where to send instead of a fresh embedded runtime (left open: the caller closes it).
    """
    now_s = clock()
    now = datetime.fromtimestamp(now_s, UTC)
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    registry = load_registry(data_dir)
    result = parse(
        fmt, payload, registry=registry, device=device, now=now, max_future_s=settings.max_future_s
    )
    # Validate here too (the runtime would): the report must count what the store will hold.
    valid, invalid = split_readings(result.readings, now=now, max_future_s=settings.max_future_s, source=fmt)
    rejections = [*result.rejections, *invalid]
    report = IngestReport(
        source=fmt,
        accepted=len(valid),
        rejections=rejections,
        skipped=result.skipped,
        bindings=result.bindings,
    )
    if not dead_letters and rejections:
        report.accepted = 0
        return report
    if result.bindings:
        save_registry(data_dir, registry)
    own = sink is None
    target = EmbeddedSink(settings, clock=clock) if sink is None else sink
    try:
        if rejections:
            target.dead_letter(rejections, now_s)
        if valid:
            target.accept(valid, now_s)
    finally:
        if own:
            target.close()
    return report
