"""Reading ids in bulk: the native batch equals the per-reading reference, id for id."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cargotrail.contract import ids

# str.encode() refuses lone surrogates, in both paths alike
devices = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
seqs = st.integers(-(2**70), 2**70)


def test_the_native_batch_is_built_here():
    assert ids.NATIVE, "cargotrail.contract._ids is not built: make install (needs cc and libssl-dev)"


@settings(max_examples=300)
@given(st.lists(st.tuples(devices, seqs), max_size=50))
def test_batch_ids_equal_the_reference(pairs):
    d, s = [p[0] for p in pairs], [p[1] for p in pairs]
    expected = [ids.reading_id(a, b) for a, b in pairs]
    assert ids.reading_ids_py(d, s) == expected
    assert ids.reading_ids(d, s) == expected  # native, or the reference for seqs beyond 64 bits


@given(st.lists(st.tuples(devices, st.integers(-(2**63), 2**63 - 1)), max_size=50))
def test_the_native_path_itself_equals_the_reference(pairs):
    if ids._native is None:
        pytest.fail("cargotrail.contract._ids is not built")
    d, s = [p[0] for p in pairs], [p[1] for p in pairs]
    assert ids._native.reading_ids(d, s) == ids.reading_ids_py(d, s)


@pytest.mark.parametrize(
    ("device_ids", "seqs"),
    [(["TRK-1"], [2**64]), (["TRK-1"], [True]), ([b"TRK-1"], [1]), (("TRK-1",), (1,))],
)
def test_inputs_outside_the_native_path_fall_back_to_the_reference(device_ids, seqs):
    if ids._native is not None:
        with pytest.raises(ids._native.Unsupported):
            ids._native.reading_ids(device_ids, seqs)
    assert ids.reading_ids(list(device_ids), list(seqs)) == [
        ids.reading_id(d, s) for d, s in zip(device_ids, seqs, strict=True)
    ]


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError):
        ids.reading_ids(["a", "b"], [1])
