"""RFC 6962 / RFC 9162 hashing: domain-separated leaf and node hashes.

Contract: ``leaf_hash(d) = SHA-256(0x00 || d)`` and
``node_hash(l, r) = SHA-256(0x01 || l || r)``. The one-byte prefixes keep a
leaf from ever being passed off as an interior node (second-preimage defence),
which is why a verifier must never accept a "leaf" of 64 bytes as a node.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
#: Root of the empty tree (RFC 9162 §2.1.1: the hash of the empty string).
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of one record's canonical bytes."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def leaf_hashes(items: Iterable[bytes]) -> list[bytes]:
    """``[leaf_hash(d) for d in items]`` without a Python call per item.

    A list comprehension over the bound constructor measured fastest on
    CPython 3.11 (faster than ``map``/``methodcaller`` chains or pre-fed
    ``.copy()`` hashers); see ``bench/bench_merkle.py``.
    """
    sha = hashlib.sha256
    return [sha(b"\x00" + d).digest() for d in items]
