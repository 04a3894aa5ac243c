"""RFC 8785 canonical bytes: the RFC's own examples, records, and the fast path."""

from __future__ import annotations

import json
import math
import struct
from datetime import datetime, timedelta, timezone

import msgspec
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from cargotrail.errors import ValidationError
from ledger.core.canonical import canonical_bytes, canonical_bytes_reference, canonical_json
from tests.ledger.conftest import mixed_records, reading

# RFC 8785 Appendix B: IEEE-754 bit patterns and their required JSON form.
RFC8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def _f64(bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(bits))[0]
    return value


@pytest.mark.parametrize(("bits", "expected"), RFC8785_NUMBERS)
def test_rfc8785_number_examples(bits: str, expected: str) -> None:
    value = _f64(bits)
    assert rfc8785.dumps(value).decode() == expected
    assert canonical_json(value).decode() == expected  # the fast path agrees or defers


def test_rfc8785_section_3_2_3_sorting_example() -> None:
    # RFC 8785 §3.2.3: keys sorted by UTF-16 code units.
    obj = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    expected = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    assert list(json.loads(canonical_json(obj))) == expected
    assert canonical_json(obj) == rfc8785.dumps(obj)


def test_rfc8785_section_3_2_2_example() -> None:
    # RFC 8785 §3.2.2 input, whose canonical form the RFC prints in §3.2.4.
    obj = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(obj).decode() == expected


def test_records_match_reference_definition() -> None:
    for r in mixed_records():
        assert canonical_bytes(r) == canonical_bytes_reference(r)
    assert canonical_bytes(reading(1)).startswith(b'{"container_id":"MSCU1234565","device_id":"trk-1","lat":')
    assert b'"temperature_c":4,' in canonical_bytes(reading(1))  # ECMAScript: 4.0 -> 4
    assert b'"ts":"2024-05-01T08:00:01Z"' in canonical_bytes(reading(1))


def test_non_utc_and_naive_timestamps_refused() -> None:
    with pytest.raises(ValidationError, match="ts"):
        canonical_bytes(reading(1, ts=datetime(2024, 5, 1, 9, tzinfo=timezone(timedelta(hours=1)))))
    with pytest.raises(ValidationError, match="UTC"):
        canonical_bytes(reading(1, ts=datetime(2024, 5, 1, 9)))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_float_refused(bad: float) -> None:
    with pytest.raises(ValidationError, match="trk-1#1"):
        canonical_bytes(reading(1, lat=bad))


# Magnitudes where number formats switch (1e-7..1e-3, 1e15..1e22) are drawn on purpose.
numbers = (
    st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(min_value=1e-8, max_value=1e-3)
    | st.floats(min_value=1e15, max_value=1e22)
    | st.integers(-30, 30).map(lambda e: 10.0**e)
    | st.integers(-(2**60), 2**60).map(float)
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | numbers
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_fast_path_equals_rfc8785(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)  # type: ignore[arg-type]  # hypothesis draws JSON values
    except rfc8785.CanonicalizationError:
        with pytest.raises(ValidationError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


@settings(max_examples=200, deadline=None)
@given(numbers, st.integers(0, 2**60), st.text())
def test_fast_path_equals_reference_on_readings(x: float, seq: int, device: str) -> None:
    r = reading(seq % 1000, device=device, lat=x, speed_kmh=float(seq))
    assert canonical_bytes(r) == canonical_bytes_reference(r)


@settings(max_examples=300, deadline=None)
@given(numbers, numbers, st.integers(0, 2**62), st.text(max_size=12), st.booleans())
def test_flat_records_take_the_fast_path_only_when_it_is_exact(
    a: float, b: float, seq: int, text: str, door: bool
) -> None:
    r = msgspec.structs.replace(
        reading(1, device=text or "d", lat=a), seq=seq, temperature_c=b, heading=-0.0, door_open=door
    )
    try:
        expected = canonical_bytes_reference(r)
    except rfc8785.CanonicalizationError:
        with pytest.raises(ValidationError):
            canonical_bytes(r)
        return
    assert canonical_bytes(r) == expected
