"""A fast path for the common case of ingest: a whole batch of readings that is valid.

``check_reading`` (the contract's per-record check) costs a few microseconds per reading, which at
tens of thousands of readings per second is most of a core. ``all_plausible`` checks a decoded batch
column by column instead and only answers "every reading passes ``check_reading``" (True) or "maybe
not" (False: the caller runs the exact per-record checks, which name the record and the field).
It must never say True where ``check_reading`` would refuse one: a property test holds it to that.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from cargotrail.contract.iso6346 import is_valid_container_id
from cargotrail.contract.records import Reading

_OPTIONAL = ("speed_kmh", "heading", "hdop", "temperature_c", "humidity_pct", "shock_g", "battery_pct")


def all_plausible(readings: Sequence[Reading], *, now_s: float, max_future_s: float) -> bool:
    """True only if every reading passes ``check_reading(now_s=now_s, max_future_s=max_future_s)``."""
    if not readings:
        return True
    if not all(map(is_valid_container_id, {r.container_id for r in readings})):  # cached per number
        return False
    try:
        limit = datetime.fromtimestamp(now_s + max_future_s, UTC)
    except (OverflowError, OSError, ValueError):
        return False
    for r in readings:
        # Range tests refuse NaN and infinities too; comparing an aware ts to ``limit`` needs tzinfo first.
        if not (
            r.device_id
            and r.seq >= 0
            and -90.0 <= r.lat <= 90.0
            and -180.0 <= r.lon <= 180.0
            and r.ts.tzinfo is not None
            and r.ts <= limit
        ):
            return False
    for name in _OPTIONAL:
        values = [v for r in readings if (v := getattr(r, name)) is not None]
        try:
            if not math.isfinite(math.fsum(values)):  # any NaN or infinity makes the sum one
                return False
        except OverflowError:  # finite values too large to add up: let the exact checks decide
            return False
        if name == "battery_pct" and values and not (min(values) >= 0.0 and max(values) <= 100.0):
            return False
    return True
