"""NMEA 0183 from a GPS unit fixed to a container: GGA and RMC fixes -> ``Reading``.

Contract of ``parse_nmea``: one outcome per input line (1-based line numbers as positions).

- GGA / RMC with a fix -> a reading of ``device_id`` for the container it is bound to in the
  registry; ``source="nmea"``, ``seq`` = device time in milliseconds.
- other sentence types pynmea2 knows (RTE, MWV, GSV...), GGA without a fix, RMC with status V,
  blank lines -> skipped, explained;
- non-NMEA lines, checksum errors (strict: a missing checksum is one), sentence types nobody knows,
  fields that do not parse (a non-numeric fix quality), truncated GGA/RMC, an unbound device ->
  rejected with the reason.

GGA carries only a time of day. Its date is the last RMC date seen in the same stream, else the
latest day on which that time is not after ``reference`` (the receive time), which is right for
a live feed and for a file ingested the day it was recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pynmea2

from cargotrail.contract.records import Reading
from services.ingest.devices import DeviceRegistry
from services.ingest.lines import Overlong
from services.ingest.result import ParseResult, epoch_ms

SOURCE = "nmea"
KNOTS_TO_KMH = 1.852
# Data fields a fix needs: GGA through the HDOP, RMC through the date (later ones are optional).
MIN_FIELDS = {"GGA": 8, "RMC": 9}


@dataclass
class StreamState:
    """What one device's stream carries from chunk to chunk: lines read, the last RMC date."""

    lines: int = 0
    rmc_date: date | None = None


def _gga_datetime(tod: time, rmc_date: date | None, reference: datetime) -> datetime:
    tod = tod.replace(tzinfo=None)
    if rmc_date is not None:
        return datetime.combine(rmc_date, tod, UTC)
    ts = datetime.combine(reference.astimezone(UTC).date(), tod, UTC)
    return ts - timedelta(days=1) if ts > reference else ts


def _float(value: object) -> float | None:
    try:
        return None if value in (None, "") else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def parse_nmea(
    lines: Iterable[str],
    *,
    device_id: str,
    registry: DeviceRegistry,
    reference: datetime,
    stream: StreamState | None = None,
) -> ParseResult:
    """Parse NMEA 0183 lines from one device (see the module docstring for the contract).

    ``stream``: for a stream read in chunks, the line count and last RMC date so far (updated).
    """
    out = ParseResult()
    container = registry.bindings.get(device_id)
    state = stream if stream is not None else StreamState()
    rmc_date = state.rmc_date
    for n, raw_line in enumerate(lines, start=state.lines + 1):
        state.lines = n
        line = raw_line.strip()
        raw_line = raw_line.rstrip("\r\n")  # the dead letter keeps the sentence, not its line end
        record = f"{device_id}#line{n}"
        if not line:
            out.skip(SOURCE, n, "blank line", record=record)
            continue
        if line[0] not in "$!":
            out.reject(
                SOURCE, n, "not an NMEA 0183 sentence (no leading '$' or '!')", raw_line, record=record
            )
            continue
        try:
            msg = pynmea2.parse(line, check=True)
        except pynmea2.ChecksumError as exc:
            out.reject(SOURCE, n, f"checksum error: {exc.args[0]}", raw_line, record=record, field="checksum")
            continue
        except pynmea2.SentenceTypeError as exc:
            out.reject(SOURCE, n, f"unknown sentence type: {exc.args[0]}", raw_line, record=record)
            continue
        except Exception as exc:  # pynmea2 raises ValueError, TypeError, IndexError on odd input
            out.reject(SOURCE, n, f"malformed NMEA sentence: {exc}", raw_line, record=record)
            continue
        kind = getattr(msg, "sentence_type", "") or type(msg).__name__
        if kind not in ("GGA", "RMC"):
            out.skip(SOURCE, n, f"{kind} sentence carries no position fix", record=record)
            continue
        if len(msg.data) < MIN_FIELDS[kind]:
            reason = f"truncated {kind} sentence: {len(msg.data)} fields, a fix needs {MIN_FIELDS[kind]}"
            out.reject(SOURCE, n, reason, raw_line, record=record)
            continue
        speed_kmh = heading = hdop = None
        try:
            if kind == "RMC":
                if msg.status != "A":
                    out.skip(
                        SOURCE, n, f"RMC status {msg.status!r}: receiver has no valid fix", record=record
                    )
                    continue
                ts = msg.datetime
                rmc_date = state.rmc_date = ts.date()
                knots = _float(msg.spd_over_grnd)
                speed_kmh = None if knots is None else knots * KNOTS_TO_KMH
                heading = _float(msg.true_course)
            else:
                if msg.gps_qual and not str(msg.gps_qual).isdigit():
                    reason = f"GGA fix quality {msg.gps_qual!r} is not a number"
                    out.reject(SOURCE, n, reason, raw_line, record=record, field="gps_qual")
                    continue
                if not msg.gps_qual or int(msg.gps_qual) == 0:
                    out.skip(SOURCE, n, "GGA fix quality 0: no fix", record=record)
                    continue
                ts = _gga_datetime(msg.timestamp, rmc_date, reference)
                hdop = _float(msg.horizontal_dil)
            lat, lon = float(msg.latitude), float(msg.longitude)
        except Exception as exc:  # a field that does not parse (empty time, bad coordinate)
            out.reject(SOURCE, n, f"{kind} field does not parse: {exc}", raw_line, record=record)
            continue
        if container is None:
            reason = f"device {device_id!r} is not bound to a container"
            out.reject(SOURCE, n, reason, raw_line, record=record, field="device_id")
            continue
        out.readings.append(
            Reading(
                device_id=device_id,
                container_id=container,
                seq=epoch_ms(ts),
                ts=ts,
                lat=lat,
                lon=lon,
                speed_kmh=speed_kmh,
                heading=heading,
                hdop=hdop,
                source=SOURCE,
            )
        )
    return out


def parse_chunk(
    items: Iterable[bytes | Overlong],
    *,
    device_id: str,
    registry: DeviceRegistry,
    reference: datetime,
    stream: StreamState,
    max_line: int,
) -> ParseResult:
    """``parse_nmea`` over a stream's chunk of raw lines, where ``LineSplitter`` cut over-long ones.

    An over-long line is rejected (field ``line``, its head kept) and counted like any other line.
    Bytes are decoded as ASCII, a bad byte replaced: it spoils its own line's checksum, nothing more.
    """
    out = ParseResult()
    run: list[str] = []

    def parse_run() -> None:
        if run:
            part = parse_nmea(run, device_id=device_id, registry=registry, reference=reference, stream=stream)
            out.readings += part.readings
            out.rejections += part.rejections
            out.skipped += part.skipped
            run.clear()

    for item in items:
        if isinstance(item, Overlong):
            parse_run()
            stream.lines += 1
            n = stream.lines
            reason = f"line longer than {max_line} bytes: not an NMEA 0183 sentence"
            raw = item.head.decode("ascii", errors="replace")
            out.reject(SOURCE, n, reason, raw, record=f"{device_id}#line{n}", field="line")
        else:
            run.append(item.decode("ascii", errors="replace"))
    parse_run()
    return out
