"""Durations as operators write them: ``90m``, ``12h``, ``3d``, ``1w``, ``45s``."""

from __future__ import annotations

import re

from cargotrail.errors import ConfigError

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_duration(text: str) -> float:
    """Seconds in ``text``; raises ``ConfigError`` naming the text otherwise."""
    m = _PATTERN.match(text.lower())
    if not m:
        raise ConfigError(f"duration {text!r}: expected a number and a unit (s, m, h, d, w), like 90m or 3d")
    seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if seconds <= 0:
        raise ConfigError(f"duration {text!r} must be positive")
    return seconds
