"""Decode stored records for display (no Streamlit here)."""

from __future__ import annotations

from cargotrail.audit.check import decode_record
from cargotrail.contract.records import Alert, GeofenceEvent, Reading, RfidRead
from cargotrail.errors import VerificationError
from store.base import Repository, StoredRecord

Shown = Reading | RfidRead | GeofenceEvent | Alert


def decode(stored: StoredRecord) -> Shown | None:
    """The contract record of ``stored``, or None when its body is not a well-formed record."""
    try:
        return decode_record(stored.body, stored.kind, stored.record_id)
    except VerificationError:
        return None


def load(store: Repository, record_id: str) -> Shown | None:
    stored = store.record(record_id)
    return decode(stored) if stored is not None else None
