"""JSON batches of readings (the HTTP batch format): a JSON array of ``Reading`` objects.

Two paths with one result. Fast: the whole array decodes as ``list[Reading]`` in one call and
``bulk.all_plausible`` vouches for every reading. Otherwise the contract's ``decode_readings``
decodes and checks element by element, so one bad element never spoils the others and each
rejection names its record and field. Positions are 0-based array indices.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from cargotrail.contract.records import Reading
from cargotrail.contract.validate import decode_readings
from services.ingest.bulk import all_plausible
from services.ingest.result import ParseResult

SOURCE = "json"

_batch = msgspec.json.Decoder(list[Reading])


def parse_json(payload: bytes, *, now: datetime, max_future_s: float) -> ParseResult:
    try:
        readings = _batch.decode(payload)
    except msgspec.DecodeError:  # (ValidationError too) some element is bad: find which, one by one
        pass
    else:
        if all_plausible(readings, now_s=now.timestamp(), max_future_s=max_future_s):
            return ParseResult(readings=readings)
    readings, rejections = decode_readings(payload, now=now, max_future_s=max_future_s, source=SOURCE)
    return ParseResult(readings=readings, rejections=rejections)
