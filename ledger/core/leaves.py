"""Leaf hashes of whole batches of records: ``leaf_hash(canonical_bytes(r))`` for each.

With the native accelerator, msgspec encodes each record (sorted keys) and C
rewrites the few number forms where that differs from RFC 8785 and hashes the
result, without a Python step per field; a record the C side is not sure of
(escapes, non-ASCII text, exponents, null, long integers) takes the Python
reference. The result is the same either way (a property test holds them equal).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from ledger.core import hashing
from ledger.core.canonical import ENCODER, canonical_bytes, check_utc
from ledger.core.hashing import leaf_hash, leaf_hashes


def record_leaves(records: Sequence[msgspec.Struct]) -> list[bytes]:
    """The leaf hash of every record, in order (raises like ``canonical_bytes`` on bad input)."""
    native = hashing._native
    if native is None:
        return leaf_hashes([canonical_bytes(r) for r in records])
    for r in records:
        check_utc(r)
    got = native.canonical_leaf_hashes([ENCODER.encode(r) for r in records])
    return [h if h is not None else leaf_hash(canonical_bytes(r)) for h, r in zip(got, records, strict=True)]
