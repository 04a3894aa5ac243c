"""ISO 6346 container numbers, validated by python-stdnum."""

from __future__ import annotations

import functools

from stdnum import iso6346
from stdnum.exceptions import ValidationError as StdnumValidationError

from cargotrail.errors import ValidationError


def validate_container_id(number: str, *, record: str = "") -> str:
    """Return the canonical number (upper case, no spaces) or raise, naming the field."""
    try:
        return str(iso6346.validate(number))
    except StdnumValidationError as exc:
        raise ValidationError(
            f"{number!r} is not a valid ISO 6346 container number ({exc})",
            field="container_id",
            record=record,
        ) from None


@functools.lru_cache(maxsize=262_144)
def is_valid_container_id(number: str) -> bool:
    """Cached: a fleet sends the same few thousand numbers over and over (hot path of ingest)."""
    return bool(iso6346.is_valid(number))


def make_container_id(owner: str, serial: int, category: str = "U") -> str:
    """Build a valid number from a 3-letter owner code and a 6-digit serial."""
    body = f"{owner}{category}{serial:06d}"
    return body + str(iso6346.calc_check_digit(body))
