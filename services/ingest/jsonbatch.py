"""JSON batches of readings (the HTTP batch format): a JSON array of ``Reading`` objects.

Thin on purpose: the contract's ``decode_readings`` already decodes element by element and
validates each reading, so one bad element never spoils the others. Positions are 0-based
array indices.
"""

from __future__ import annotations

from datetime import datetime

from cargotrail.contract.validate import decode_readings
from services.ingest.result import ParseResult

SOURCE = "json"


def parse_json(payload: bytes, *, now: datetime, max_future_s: float) -> ParseResult:
    readings, rejections = decode_readings(payload, now=now, max_future_s=max_future_s, source=SOURCE)
    return ParseResult(readings=readings, rejections=rejections)
