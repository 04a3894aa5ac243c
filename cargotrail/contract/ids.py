"""Deterministic ids: a hash of what makes a record unique.

A replay after a crash produces the same ids, so every sink can be idempotent
(upsert by id). Ids are 32 hex characters (128 bits of SHA-256).
"""

from __future__ import annotations

import hashlib
from datetime import datetime


def _digest(*parts: object) -> str:
    text = "\x1f".join(p.isoformat() if isinstance(p, datetime) else str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def reading_id(device_id: str, seq: int) -> str:
    """A reading is unique by device and sequence number (ingest dedupes on it).

    Spelled out rather than via ``_digest``: it runs once per reading. Same bytes.
    """
    return hashlib.sha256(f"reading\x1f{device_id}\x1f{seq}".encode()).hexdigest()[:32]


def rfid_id(reader_id: str, tag_epc: str, ts: datetime) -> str:
    return _digest("rfid", reader_id, tag_epc, ts)


def geofence_event_id(kind: str, container_id: str, zone_id: str, reading_id_: str) -> str:
    return _digest("geofence", kind, container_id, zone_id, reading_id_)


def alert_id(kind: str, container_id: str, first_evidence: str) -> str:
    """An alert is unique by kind, container and the reading that opened it."""
    return _digest("alert", kind, container_id, first_evidence)
