"""Carriers by ISO 6346 owner code (the BIC prefix: the three letters before the category letter).

The owner codes of the largest ocean carriers, as registered with the BIC; the
simulator's fleet uses the same ones. A number whose owner is not listed shows
as ``other (XYZ)``, so a filter never hides a box.
"""

from __future__ import annotations

CARRIER_PREFIXES: dict[str, tuple[str, ...]] = {
    "MSC": ("MSC", "MED"),
    "Maersk": ("MAE", "MSK", "MRK"),
    "CMA CGM": ("CMA", "CGM"),
    "Hapag-Lloyd": ("HLX", "HLB"),
    "COSCO": ("COS", "CSN", "CBH"),
    "Evergreen": ("EGH", "EIS", "EMC"),
    "ONE": ("ONE",),
    "HMM": ("HDM",),
    "ZIM": ("ZIM",),
    "Yang Ming": ("YML",),
    "OOCL": ("OOL",),
}
_BY_PREFIX = {prefix: carrier for carrier, prefixes in CARRIER_PREFIXES.items() for prefix in prefixes}


def carrier_of(container_id: str) -> str:
    """The carrier owning ``container_id`` (an ISO 6346 number), by its owner code."""
    owner = container_id[:3].upper()
    return _BY_PREFIX.get(owner, f"other ({owner})")
