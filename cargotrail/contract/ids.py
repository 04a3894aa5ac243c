"""Deterministic ids: a hash of what makes a record unique.

A replay after a crash produces the same ids, so every sink can be idempotent
(upsert by id). Ids are 32 hex characters (128 bits of SHA-256).

Native switch: ``reading_ids`` and ``text_ids`` (a micro-batch at once) run in C
when the optional accelerator ``cargotrail.contract._ids`` was built (``setup.py``);
``reading_ids_py`` and ``text_ids_py`` stay the references and tests hold each pair equal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

try:
    from cargotrail.contract import _ids
except ImportError:  # built without a compiler or OpenSSL headers: pure Python, same results
    _ids = None  # type: ignore[assignment]

#: The C accelerator module or None (tests switch it off to compare with the reference).
_native = _ids
#: True when the C accelerator is in use.
NATIVE = _native is not None


def _digest(*parts: object) -> str:
    text = "\x1f".join(p.isoformat() if isinstance(p, datetime) else str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def reading_id(device_id: str, seq: int) -> str:
    """A reading is unique by device and sequence number (ingest dedupes on it).

    Spelled out rather than via ``_digest``: it runs once per reading. Same bytes.
    """
    return hashlib.sha256(f"reading\x1f{device_id}\x1f{seq}".encode()).hexdigest()[:32]


def reading_ids(device_ids: list[str], seqs: list[int]) -> list[str]:
    """``reading_id`` of each (device, seq) pair, for a whole micro-batch: one native call when
    the optional C accelerator is built (``NATIVE``), else ``reading_ids_py``; same values."""
    if _native is not None:
        try:
            return _native.reading_ids(device_ids, seqs)
        except _native.Unsupported:  # e.g. a seq beyond 64 bits: the reference decides
            pass
    return reading_ids_py(device_ids, seqs)


def reading_ids_py(device_ids: Sequence[str], seqs: Sequence[int]) -> list[str]:
    """``[reading_id(d, s) for d, s in zip(device_ids, seqs)]``, inlined: the reference."""
    sha = hashlib.sha256
    pairs = zip(device_ids, seqs, strict=True)
    return [sha(f"reading\x1f{d}\x1f{s}".encode()).hexdigest()[:32] for d, s in pairs]


def text_ids(texts: list[str]) -> list[str]:
    """The id of each already spelled-out text (``text_ids_py``), one native call when ``NATIVE``."""
    if _native is not None:
        try:
            return _native.text_ids(texts)
        except _native.Unsupported:  # e.g. a str subclass: the reference decides
            pass
    return text_ids_py(texts)


def text_ids_py(texts: Sequence[str]) -> list[str]:
    """``sha256(t.encode()).hexdigest()[:32]`` of each text: the reference (what ``_digest`` hashes)."""
    sha = hashlib.sha256
    return [sha(t.encode()).hexdigest()[:32] for t in texts]


def rfid_id(reader_id: str, tag_epc: str, ts: datetime) -> str:
    return _digest("rfid", reader_id, tag_epc, ts)


def geofence_event_id(kind: str, container_id: str, zone_id: str, reading_id_: str) -> str:
    return _digest("geofence", kind, container_id, zone_id, reading_id_)


def alert_id(kind: str, container_id: str, first_evidence: str) -> str:
    """An alert is unique by kind, container and the reading that opened it."""
    return _digest("alert", kind, container_id, first_evidence)
