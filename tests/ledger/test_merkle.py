"""Merkle tree (RFC 9162): CT test vectors, a recursive reference, proofs, tampering."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.hashing import EMPTY_ROOT, leaf_hash, leaf_hashes, node_hash
from ledger.core.merkle import (
    all_paths,
    inclusion_proof,
    inclusion_proof_from_levels,
    root_from_path,
    tree_levels,
    tree_root,
    verify_inclusion,
)

# Certificate Transparency's merkle_tree_test inputs and the roots of their prefixes.
CT_INPUTS = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, path) from the same CT test (there 1-based).
CT_PATHS = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_LEAVES = [leaf_hash(bytes.fromhex(x)) for x in CT_INPUTS]


# --- the reference: RFC 9162 §2.1 written out recursively, nothing clever ------------------


def _k(n: int) -> int:
    """The largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _k(len(leaves))
    return hashlib.sha256(b"\x01" + ref_mth(leaves[:k]) + ref_mth(leaves[k:])).digest()


def ref_path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), ref_mth(leaves[:k])]


def rfc_root_from_path(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2, step by step."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def _leaves(n: int, salt: int = 0) -> list[bytes]:
    return leaf_hashes(f"{salt}:{i}".encode() for i in range(n))


# --- tests ---------------------------------------------------------------------------------


def test_hash_primitives() -> None:
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]
    assert leaf_hash(b"").hex() == CT_ROOTS[1]
    assert node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    assert leaf_hashes([b"x", b"y"]) == [leaf_hash(b"x"), leaf_hash(b"y")]


@pytest.mark.parametrize("n", range(9))
def test_ct_roots(n: int) -> None:
    assert tree_root(CT_LEAVES[:n]).hex() == CT_ROOTS[n]
    assert ref_mth(CT_LEAVES[:n]).hex() == CT_ROOTS[n]


@pytest.mark.parametrize(("index", "size", "path"), CT_PATHS)
def test_ct_inclusion_paths(index: int, size: int, path: list[str]) -> None:
    got = inclusion_proof(CT_LEAVES[:size], index)
    assert [p.hex() for p in got] == path
    assert all_paths(tree_levels(CT_LEAVES[:size]))[index] == got
    root = bytes.fromhex(CT_ROOTS[size])
    assert verify_inclusion(CT_LEAVES[index], index, size, got, root)
    assert not verify_inclusion(CT_LEAVES[index], index, size, got, bytes.fromhex(CT_ROOTS[size - 1]))


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300), st.data())
def test_level_by_level_equals_recursive_definition(n: int, data: st.DataObject) -> None:
    leaves = _leaves(n, salt=n)
    levels = tree_levels(leaves)
    assert levels[-1][0] == ref_mth(leaves)
    m = data.draw(st.integers(0, n - 1))
    assert inclusion_proof_from_levels(levels, m) == ref_path(m, leaves)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 9, 31, 33, 64, 100])
def test_all_paths_equal_single_proofs(n: int) -> None:
    leaves = _leaves(n)
    levels = tree_levels(leaves)
    assert all_paths(levels) == [ref_path(m, leaves) for m in range(n)]


def _check_batch(n: int, indices: list[int]) -> None:
    leaves = _leaves(n, salt=n)
    levels = tree_levels(leaves)
    root = levels[-1][0]
    paths = all_paths(levels)
    other_root = tree_root(_leaves(n, salt=n + 1))
    for m in indices:
        path = paths[m]
        assert verify_inclusion(leaves[m], m, n, path, root), (n, m)
        assert not verify_inclusion(leaves[m], m, n, path, other_root)
        changed = bytes([leaves[m][0] ^ 1]) + leaves[m][1:]
        assert not verify_inclusion(changed, m, n, path, root)
        if path:
            bad_step = [*path[:-1], bytes([path[-1][0] ^ 0x80]) + path[-1][1:]]
            assert not verify_inclusion(leaves[m], m, n, bad_step, root)
        if n > 1:
            assert not verify_inclusion(leaves[m], (m + 1) % n, n, path, root)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 2000), st.data())
def test_every_proof_verifies_small_random_sizes(n: int, data: st.DataObject) -> None:
    _check_batch(n, list(range(n)) if n <= 200 else data.draw(st.lists(st.integers(0, n - 1), max_size=50)))


@pytest.mark.parametrize("n", [65_537, 100_000])
def test_every_proof_verifies_large_sizes(n: int) -> None:
    leaves = _leaves(n, salt=n)
    levels = tree_levels(leaves)
    root = levels[-1][0]
    paths = all_paths(levels)
    assert all(verify_inclusion(leaves[m], m, n, paths[m], root) for m in range(n))
    # Spot checks against single proofs and the negative cases.
    for m in (0, 1, n // 2, n - 2, n - 1):
        assert paths[m] == inclusion_proof_from_levels(levels, m)
    _check_batch(n, [0, n // 3, n - 1])


def test_malformed_inputs_answer_false() -> None:
    leaves = _leaves(5)
    root = tree_root(leaves)
    path = inclusion_proof(leaves, 4)
    assert not verify_inclusion(leaves[4], 5, 5, path, root)  # index outside tree
    assert not verify_inclusion(leaves[4], 4, 6, path, root)  # wrong size
    assert not verify_inclusion(leaves[4], 4, 5, [*path, path[0]], root)  # too long
    assert not verify_inclusion(leaves[4], 4, 5, path[:-1], root)  # too short
    assert root_from_path(leaves[4], -1, 5, path) is None
    with pytest.raises(IndexError):
        inclusion_proof(leaves, 5)
    assert tree_levels([]) == [[EMPTY_ROOT]]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 600), st.data())
def test_fast_verifier_equals_rfc_algorithm(n: int, data: st.DataObject) -> None:
    leaves = _leaves(n, salt=7)
    levels = tree_levels(leaves)
    m = data.draw(st.integers(0, n - 1))
    path = inclusion_proof_from_levels(levels, m)
    assert root_from_path(leaves[m], m, n, path) == rfc_root_from_path(leaves[m], m, n, path) == levels[-1][0]
    # Wrong shapes: other sizes, other indexes, cut or padded paths must agree with the RFC too.
    size = data.draw(st.integers(1, 700))
    index = data.draw(st.integers(0, 700))
    cut = data.draw(st.integers(0, len(path) + 2))
    bent = (path + path)[:cut]
    assert root_from_path(leaves[m], index, size, bent) == rfc_root_from_path(leaves[m], index, size, bent)
