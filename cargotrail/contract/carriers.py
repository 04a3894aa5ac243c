"""Ocean carriers by ISO 6346 owner code (the BIC prefix: the three letters before the category letter).

One table for everyone: the simulator numbers its fleet under these owner codes
and the dashboard names a box's carrier from its number. A number whose owner
is not listed names ``other (XYZ)``, so a filter by carrier never hides a box.
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
