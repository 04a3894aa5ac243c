"""AIS ``!AIVDM``/``!AIVDO`` sentences -> readings of the containers on board (pyais).

Contract of ``parse_ais``: one outcome per message (a multi-part message is one message, placed
at the line of its first fragment; positions are 1-based line numbers).

- positions (types 1, 2, 3, 18, 19, 27) of a vessel in the manifest -> one ``Reading`` per
  container on board, ``source="ais"``, device ``ais:<MMSI>:<container>``;
- static and voyage data (types 5, 24) -> ``vessels``, and a skip note saying so;
- positions of vessels with no container in the manifest, "position not available" (91/181),
  other message types, empty payloads, blank lines -> skipped, explained;
- bad checksums, payload bytes outside the 6-bit armour, sentences that are not AIS, fragments
  out of order, multi-part messages that never complete, payloads that do not decode -> rejected
  with the reason (raw: every fragment).

AIS positions carry only the second of the minute, so a message is stamped with ``received``
plus its line number in microseconds: unique and ordered per vessel, deterministic for a file.
The device id names the container too, because reading ids are (device, seq): one position of a
vessel with n containers must give n distinct readings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pyais.exceptions import MissingPayloadException
from pyais.messages import NMEAMessage

from cargotrail.contract.records import Reading
from services.ingest.devices import DeviceRegistry
from services.ingest.result import ParseResult, VesselInfo

SOURCE = "ais"
KNOTS_TO_KMH = 1.852
POSITION_TYPES = frozenset({1, 2, 3, 18, 19, 27})
STATIC_TYPES = frozenset({5, 24})
# The 6-bit ASCII armour of AIS payloads ('0'-'W', '`'-'w'); pyais decodes other bytes silently.
ARMOUR = bytes(range(48, 88)) + bytes(range(96, 120))
MAX_PENDING = 32  # incomplete multi-part messages held at once; the oldest is rejected beyond this

_Fragments = list[tuple[int, str, NMEAMessage]]


def _usable(value: object, not_available: float) -> float | None:
    return float(value) if isinstance(value, int | float) and value != not_available else None


class _Parser:
    def __init__(self, registry: DeviceRegistry, received: datetime) -> None:
        self.registry = registry
        self.received = received
        self.out = ParseResult()
        self.pending: dict[tuple[str, object, int], _Fragments] = {}

    def line(self, n: int, raw: str) -> None:
        text = raw.strip()
        if not text:
            self.out.skip(SOURCE, n, "blank line")
            return
        try:
            msg = NMEAMessage.from_string(text)
        except Exception as exc:  # pyais raises its own errors, UnicodeError and ValueError on odd bytes
            self.out.reject(SOURCE, n, f"not an AIS sentence: {exc}", raw)
            return
        if not msg.is_valid:
            self.out.reject(SOURCE, n, "checksum error", raw, field="checksum")
            return
        stray = bytes(msg.payload).translate(None, ARMOUR)
        if stray:
            reason = f"payload character {chr(stray[0])!r} is not in the AIS 6-bit armour"
            self.out.reject(SOURCE, n, reason, raw, field="payload")
            return
        if msg.frag_cnt <= 1:
            self.message(n, [(n, raw, msg)])
            return
        key = (str(msg.channel), msg.seq_id, int(msg.frag_cnt))
        frags = self.pending.get(key)
        if msg.frag_num == 1:
            if frags is not None:
                self.incomplete(self.pending.pop(key))
            if len(self.pending) >= MAX_PENDING:
                self.incomplete(self.pending.pop(next(iter(self.pending))))
            self.pending[key] = [(n, raw, msg)]
        elif frags is None or msg.frag_num != len(frags) + 1:
            have = 0 if frags is None else len(frags)
            reason = (
                f"fragment {msg.frag_num} of {msg.frag_cnt} arrived after {have} fragment(s) of its message"
            )
            self.out.reject(SOURCE, n, reason, raw, field="frag_num")
        else:
            frags.append((n, raw, msg))
            if len(frags) == msg.frag_cnt:
                del self.pending[key]
                self.message(frags[0][0], frags)

    def incomplete(self, frags: _Fragments) -> None:
        n, _, first = frags[0]
        raw = "\n".join(r.strip() for _, r, _ in frags)
        reason = f"incomplete multi-part message: {len(frags)} of {first.frag_cnt} fragments arrived"
        self.out.reject(SOURCE, n, reason, raw, field="frag_cnt")

    def message(self, n: int, frags: _Fragments) -> None:
        raw = "\n".join(r.strip() for _, r, _ in frags)
        try:
            msg = (
                frags[0][2] if len(frags) == 1 else NMEAMessage.assemble_from_iterable([f for *_, f in frags])
            )
            # Any: pyais returns a union of ~60 message classes; fields are read by message type below.
            decoded: Any = msg.decode()
        except MissingPayloadException:
            self.out.skip(SOURCE, n, "empty payload: the receiver sent no message")
            return
        except Exception as exc:  # a payload that does not decode as its type says
            self.out.reject(SOURCE, n, f"payload does not decode: {exc}", raw, field="payload")
            return
        kind, mmsi = int(decoded.msg_type), int(decoded.mmsi)
        record = f"mmsi:{mmsi}"
        if kind in STATIC_TYPES:
            info = VesselInfo(
                mmsi=mmsi,
                name=str(getattr(decoded, "shipname", "") or ""),
                callsign=str(getattr(decoded, "callsign", "") or ""),
                imo=getattr(decoded, "imo", None),
                destination=str(getattr(decoded, "destination", "") or ""),
                ship_type=None if getattr(decoded, "ship_type", None) is None else int(decoded.ship_type),
            )
            self.out.vessels.append(info)
            self.out.skip(
                SOURCE, n, f"type {kind} static/voyage data of vessel {mmsi}: no position", record=record
            )
            return
        if kind not in POSITION_TYPES:
            self.out.skip(SOURCE, n, f"type {kind} message carries no vessel position", record=record)
            return
        lat, lon = getattr(decoded, "lat", None), getattr(decoded, "lon", None)
        if lat is None or lon is None or lat == 91.0 or lon == 181.0:
            self.out.skip(SOURCE, n, f"vessel {mmsi} reports position not available", record=record)
            return
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            self.out.reject(
                SOURCE, n, f"position {lat}, {lon} is out of range", raw, record=record, field="lat"
            )
            return
        containers = self.registry.manifest.get(mmsi)
        if not containers:
            self.out.skip(SOURCE, n, f"vessel {mmsi} carries no container in the manifest", record=record)
            return
        ts = self.received + timedelta(microseconds=n)
        knots = _usable(getattr(decoded, "speed", None), 102.3)
        heading = _usable(getattr(decoded, "heading", None), 511) or _usable(
            getattr(decoded, "course", None), 360.0
        )
        for container in containers:
            self.out.readings.append(
                Reading(
                    device_id=f"ais:{mmsi}:{container}",
                    container_id=container,
                    seq=int(ts.timestamp() * 1_000_000),
                    ts=ts,
                    lat=float(lat),
                    lon=float(lon),
                    speed_kmh=None if knots is None else knots * KNOTS_TO_KMH,
                    heading=heading,
                    source=SOURCE,
                )
            )


def parse_ais(lines: Iterable[str], *, registry: DeviceRegistry, received: datetime) -> ParseResult:
    """Parse AIS sentences (see the module docstring for the contract)."""
    parser = _Parser(registry, received)
    for n, raw in enumerate(lines, start=1):
        parser.line(n, raw)
    for frags in parser.pending.values():
        parser.incomplete(frags)
    return parser.out
