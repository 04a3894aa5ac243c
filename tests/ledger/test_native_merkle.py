"""Native Merkle functions (ledger.core._merkle) == the pure-Python reference, proofs and tampering.

``test_native_build.py`` proves the module is built; here every native
function is held to its ``*_py`` twin on random batches, and every proof and
every tampered proof must get the same answer from both.
"""

from __future__ import annotations

import random
import threading
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core import hashing
from ledger.core.hashing import leaf_hashes_py
from ledger.core.merkle import (
    all_paths_py,
    root_from_path_py,
    tree_levels,
    tree_levels_py,
    verify_inclusion,
    verify_inclusion_py,
    verify_inclusions,
    verify_inclusions_py,
)


@pytest.fixture(scope="module")
def native() -> ModuleType:
    if hashing._native is None:
        pytest.fail("ledger.core._merkle is not built: see test_native_build.py for the compiler's reason")
    return hashing._native


def payloads(n: int, seed: int) -> list[bytes]:
    """Distinct payloads (the tamper checks move a proof to another leaf) of awkward lengths."""
    rnd = random.Random(seed)
    sizes = (0, 1, 29, 32, 61, 224, rnd.randint(0, 700))
    return [rnd.randbytes(rnd.choice(sizes)) + (i.to_bytes(3, "big") if i else b"") for i in range(n)]


def flip(b: bytes, bit: int = 0) -> bytes:
    return bytes([b[0] ^ (1 << bit)]) + b[1:] if b else b"\x00"


def check_batch(native: ModuleType, data: list[bytes], probes: list[int]) -> None:
    n = len(data)
    leaves = native.leaf_hashes(data)
    assert leaves == leaf_hashes_py(data)
    levels = native.tree_levels(leaves)
    assert levels == tree_levels_py(leaves)
    root = levels[-1][0]
    paths = native.all_paths(levels)
    assert paths == all_paths_py(levels)
    hex_levels = [[x.hex() for x in lv] for lv in levels]
    assert native.all_paths(hex_levels) == all_paths_py(hex_levels)
    everyone = list(range(n))
    assert native.verify_inclusions(leaves, everyone, n, paths, root) == [True] * n
    assert verify_inclusions_py(leaves, everyone, n, paths, root) == [True] * n
    other_root = native.tree_levels(native.leaf_hashes([*data[:-1], data[-1] + b"!"]))[-1][0]
    for m in probes:
        leaf, path = leaves[m], paths[m]
        for verify in (native.verify_inclusion, verify_inclusion_py):
            assert verify(leaf, m, n, path, root), (n, m)
            assert not verify(leaf, m, n, path, other_root)
            assert not verify(flip(leaf), m, n, path, root)
            if path:
                k = random.Random(m).randrange(len(path))
                assert not verify(leaf, m, n, [*path[:k], flip(path[k], 7), *path[k + 1 :]], root)
                assert not verify(leaf, m, n, path[:-1], root)
            assert not verify(leaf, m, n, [*path, root], root)
            if n > 1:
                assert not verify(leaf, (m + 1) % n, n, path, root)
        for index, size, p in [
            (m, n, path),
            (m, n + 1, path),
            (m + 1, n, path),
            (m, n, path[:-1]),
            (-1, n, path),
        ]:
            assert native.root_from_path(leaf, index, size, p) == root_from_path_py(leaf, index, size, p)


@settings(max_examples=120, deadline=None)
@given(st.integers(1, 2000), st.integers(0, 2**32), st.data())
def test_native_equals_python_random_batches(
    native: ModuleType, n: int, seed: int, data: st.DataObject
) -> None:
    probes = (
        list(range(n)) if n <= 64 else data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=40))
    )
    check_batch(native, payloads(n, seed), probes)


@pytest.mark.parametrize("n", [4097, 65_537, 100_000, 1 << 17])
def test_native_equals_python_large_batches(native: ModuleType, n: int) -> None:
    check_batch(native, payloads(n, n), [0, 1, n // 3, n // 2, n - 2, n - 1])


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 600), st.integers(-3, 700), st.integers(-3, 700), st.integers(0, 25), st.data())
def test_native_root_from_path_any_shape(
    native: ModuleType, n: int, index: int, size: int, cut: int, data: st.DataObject
) -> None:
    leaves = leaf_hashes_py(f"{n}:{i}".encode() for i in range(n))
    paths = all_paths_py(tree_levels_py(leaves))
    m = data.draw(st.integers(0, n - 1))
    bent = (paths[m] * 3)[:cut]
    assert native.root_from_path(leaves[m], index, size, bent) == root_from_path_py(
        leaves[m], index, size, bent
    )


def test_outside_fast_path_falls_back_to_python(native: ModuleType) -> None:
    items = [b"a", bytearray(b"b"), memoryview(b"c")]
    assert hashing.leaf_hashes(items) == leaf_hashes_py(items)  # type: ignore[arg-type]
    assert hashing.leaf_hashes(x for x in [b"a", b"b"]) == leaf_hashes_py([b"a", b"b"])
    with pytest.raises(native.Unsupported):
        native.leaf_hashes(items)
    leaves = leaf_hashes_py([b"x", b"y", b"z"])
    loose = [bytearray(x) for x in leaves]
    assert tree_levels(loose) == tree_levels_py(loose)  # type: ignore[arg-type]
    big = 2**70
    assert verify_inclusion(leaves[0], big, big + 1, [], leaves[0]) == verify_inclusion_py(
        leaves[0], big, big + 1, [], leaves[0]
    )
    lv = tree_levels_py(leaves)
    assert verify_inclusions(leaves, [0, 1, 2], 3, all_paths_py(lv), bytearray(lv[-1][0])) == [True] * 3  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tree_levels(["not bytes", "either"])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        verify_inclusions(leaves, [0, 1], 3, all_paths_py(lv), lv[-1][0])


def test_empty_and_single_trees(native: ModuleType) -> None:
    assert native.tree_levels([]) == tree_levels_py([]) == [[hashing.EMPTY_ROOT]]
    one = leaf_hashes_py([b"only"])
    assert native.tree_levels(one) == [one]
    assert native.all_paths([one]) == [[]]
    assert native.root_from_path(one[0], 0, 1, []) is one[0]
    assert native.verify_inclusions([], [], 0, [], one[0]) == []
    with pytest.raises(native.Unsupported):
        native.all_paths([[b"a", b"b"], [b"c", b"d"]])  # not one tree's levels


def test_threads_share_no_state_and_inputs_may_change(native: ModuleType) -> None:
    """The GIL is released while hashing: concurrent calls agree, a mutated input list is harmless."""
    data = payloads(20_000, 3)
    expected = tree_levels_py(leaf_hashes_py(data))
    results: list[bool] = []
    shared = list(data)

    def work() -> None:
        for _ in range(5):
            results.append(native.tree_levels(native.leaf_hashes(data)) == expected)
            native.leaf_hashes(shared)  # another thread rewrites this list meanwhile

    def mutate() -> None:
        for i in range(2000):
            shared[i % len(shared)] = b"changed"
            del shared[-1:]
            shared.append(b"again")

    threads = [threading.Thread(target=work) for _ in range(3)] + [threading.Thread(target=mutate)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 15
