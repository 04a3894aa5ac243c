"""Types of the optional C accelerator (ledger/core/_merkle.c); see ledger.core.merkle."""

from collections.abc import Sequence
from typing import TypeVar

_T = TypeVar("_T")

class Unsupported(Exception):
    """Input outside the native fast path: the caller uses the Python reference instead."""

def leaf_hashes(items: list[bytes] | tuple[bytes, ...], /) -> list[bytes]: ...
def tree_levels(leaves: Sequence[bytes], /) -> list[list[bytes]]: ...
def all_paths(levels: Sequence[Sequence[_T]], /) -> list[list[_T]]: ...
def root_from_path(leaf: bytes, index: int, tree_size: int, path: Sequence[bytes], /) -> bytes | None: ...
def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, path: Sequence[bytes], root: bytes, /
) -> bool: ...
def verify_inclusions(
    leaves: Sequence[bytes],
    indices: Sequence[int],
    tree_size: int,
    paths: Sequence[Sequence[bytes]],
    root: bytes,
    /,
) -> list[bool]: ...
def canonical_leaf_hashes(items: Sequence[bytes], /) -> list[bytes | None]: ...
