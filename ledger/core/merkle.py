"""Merkle tree hash, inclusion proofs and their verification (RFC 9162 §2.1).

The tree is built level by level: pairs are hashed left to right and an odd
last node is promoted unchanged to the next level. For every size this gives
the same root as RFC 9162's recursive definition (split at the largest power
of two smaller than n) — the property tests hold it to a plain recursive
reference. Building bottom-up lets one list comprehension per level do the
hashing, and keeps every level so that all proofs of a batch come from the
stored nodes without hashing again.

Contracts:

- ``tree_levels(leaves)[0]`` is the leaf list, ``[-1] == [root]``.
- Audit paths are ordered leaf-to-root, as RFC 9162 §2.1.3.1 ``PATH`` emits.
- ``verify_inclusion`` is RFC 9162 §2.1.3.2 verbatim; it never raises for
  bad input, it answers ``False``.
- ``tree_levels``, ``all_paths``, ``root_from_path``, ``verify_inclusion`` and
  ``verify_inclusions`` run in C when ``hashing.NATIVE`` (one call per batch,
  GIL released while hashing); each ``*_py`` twin is the pure-Python reference
  and gets any input outside the native fast path. Same values either way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from itertools import chain, repeat
from typing import TypeVar, cast

from ledger.core.hashing import EMPTY_ROOT, _native

T = TypeVar("T")


def tree_levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """All levels of the tree over ``leaves``, leaves first (see ``tree_levels_py``)."""
    if _native is not None:
        try:
            return _native.tree_levels(leaves)
        except _native.Unsupported:
            pass
    return tree_levels_py(leaves)


def tree_levels_py(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """All levels of the tree over ``leaves`` (leaf hashes), leaves first.

    An empty input gives ``[[EMPTY_ROOT]]``: no leaves, one root.
    """
    if not leaves:
        return [[EMPTY_ROOT]]
    sha = hashlib.sha256
    level = list(leaves)
    levels = [level]
    while len(level) > 1:
        it = iter(level)
        # zip(it, it) pairs neighbours without slicing copies; an odd tail
        # is dropped by zip and promoted below (RFC 9162 equivalence).
        nxt = [sha(b"\x01" + a + b).digest() for a, b in zip(it, it, strict=False)]
        if len(level) & 1:
            nxt.append(level[-1])
        levels.append(nxt)
        level = nxt
    return levels


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 §2.1.1 over the given leaf hashes."""
    return tree_levels(leaves)[-1][0]


def _siblings(level: list[T]) -> list[T | None]:
    """``out[i] = level[i ^ 1]``, ``None`` for a promoted (unpaired) last node."""
    padded: list[T | None] = [*level, None] if len(level) & 1 else list(level)
    out: list[T | None] = [None] * len(padded)
    out[0::2] = padded[1::2]
    out[1::2] = padded[0::2]
    return out[: len(level)]


def all_paths(levels: Sequence[Sequence[T]]) -> list[list[T]]:
    """Every leaf's audit path from stored levels, bytes or hex nodes (see ``all_paths_py``)."""
    if _native is not None:
        try:
            return _native.all_paths(levels)
        except _native.Unsupported:
            pass
    return all_paths_py(levels)


def all_paths_py(levels: Sequence[Sequence[T]]) -> list[list[T]]:
    """Every leaf's audit path, computed from stored levels in one pass.

    Works on any node representation (bytes, or hex strings so that a batch
    hexes each node once instead of once per path it appears in). Column by
    column: level ``L``'s sibling list is stretched so that entry ``i`` is the
    sibling leaf ``i`` needs at that height, then the columns are zipped.
    Only leaves under a promoted node get ``None`` holes, and those all sit
    at the right end, so only that tail is filtered.
    """
    n = len(levels[0])
    if n <= 1:
        return [[] for _ in range(n)]
    columns: list[list[T | None]] = []
    tail = n  # first leaf index whose path has a hole
    for height, level in enumerate(levels[:-1]):
        sib = _siblings(list(level))
        if len(level) & 1:
            tail = min(tail, (len(level) - 1) << height)
        span = 1 << height
        col = list(chain.from_iterable(map(repeat, sib, repeat(span)))) if span > 1 else sib
        columns.append(col[:n])
    rows = list(zip(*columns, strict=True))
    head = [cast(list[T], list(r)) for r in rows[:tail]]  # no holes before tail
    rest = [[p for p in r if p is not None] for r in rows[tail:]]
    return head + rest


def inclusion_proof_from_levels(levels: Sequence[Sequence[bytes]], index: int) -> list[bytes]:
    """PATH(index, D[n]) from stored levels, in O(log n)."""
    n = len(levels[0])
    if not 0 <= index < n:
        raise IndexError(f"leaf index {index} outside tree of size {n}")
    path: list[bytes] = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(level[sibling])
        index >>= 1
    return path


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) of RFC 9162 §2.1.3.1 over the given leaf hashes."""
    return inclusion_proof_from_levels(tree_levels(leaves), index)


def root_from_path(leaf: bytes, index: int, tree_size: int, path: Sequence[bytes]) -> bytes | None:
    """The root ``path`` leads to from ``leaf``, or None (see ``root_from_path_py``)."""
    if _native is not None:
        try:
            return _native.root_from_path(leaf, index, tree_size, path)
        except _native.Unsupported:
            pass
    return root_from_path_py(leaf, index, tree_size, path)


def root_from_path_py(leaf: bytes, index: int, tree_size: int, path: Sequence[bytes]) -> bytes | None:
    """The root that ``path`` leads to from ``leaf``, or None if the shape is wrong.

    Same answers as RFC 9162 §2.1.3.2 steps 1-6 (the tests hold it to a
    literal transcription), reorganised for speed as transparency-dev/merkle
    does: the first ``inner`` steps climb the perfect subtree holding the leaf
    (the index bit says which side the sibling is on), the remaining
    ``border`` steps all join a left sibling along the tree's right border.
    The per-step work is then one bit test and one hash, which is what keeps
    verification near bare hashlib speed.
    """
    if not 0 <= index < tree_size:
        return None
    inner = (index ^ (tree_size - 1)).bit_length()
    if len(path) != inner + (index >> inner).bit_count():
        return None
    sha = hashlib.sha256
    r = leaf
    m = index
    for p in path[:inner]:
        r = sha(b"\x01" + p + r).digest() if m & 1 else sha(b"\x01" + r + p).digest()
        m >>= 1
    for p in path[inner:]:
        r = sha(b"\x01" + p + r).digest()
    return r


def verify_inclusion(leaf: bytes, index: int, tree_size: int, path: Sequence[bytes], root: bytes) -> bool:
    """True iff ``path`` proves ``leaf`` is leaf ``index`` of the tree of ``tree_size`` with ``root``."""
    if _native is not None:
        try:
            return _native.verify_inclusion(leaf, index, tree_size, path, root)
        except _native.Unsupported:
            pass
    return verify_inclusion_py(leaf, index, tree_size, path, root)


def verify_inclusion_py(leaf: bytes, index: int, tree_size: int, path: Sequence[bytes], root: bytes) -> bool:
    """The reference for ``verify_inclusion``."""
    return root_from_path_py(leaf, index, tree_size, path) == root


def verify_inclusions(
    leaves: Sequence[bytes],
    indices: Sequence[int],
    tree_size: int,
    paths: Sequence[Sequence[bytes]],
    root: bytes,
) -> list[bool]:
    """``verify_inclusion`` for many proofs of one tree, in one native call."""
    if _native is not None:
        try:
            return _native.verify_inclusions(leaves, indices, tree_size, paths, root)
        except _native.Unsupported:
            pass
    return verify_inclusions_py(leaves, indices, tree_size, paths, root)


def verify_inclusions_py(
    leaves: Sequence[bytes],
    indices: Sequence[int],
    tree_size: int,
    paths: Sequence[Sequence[bytes]],
    root: bytes,
) -> list[bool]:
    """The reference for ``verify_inclusions``."""
    cases = zip(leaves, indices, paths, strict=True)
    return [verify_inclusion_py(leaf, i, tree_size, path, root) for leaf, i, path in cases]
