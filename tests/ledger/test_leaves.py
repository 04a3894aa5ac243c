"""Batch leaf hashing (native rewrite of msgspec output) equals the RFC 8785 reference, record by record."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import msgspec
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from cargotrail.contract.records import Alert, AlertKind, Explanation, Reading, Severity
from cargotrail.errors import ValidationError
from ledger.core.canonical import canonical_bytes_reference
from ledger.core.hashing import NATIVE, leaf_hash
from ledger.core.leaves import record_leaves

numbers = (
    st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(-30, 30).map(lambda e: 10.0**e)
    | st.integers(-(2**60), 2**60).map(float)
    | st.sampled_from([0.0, -0.0, 1.0, -1.0, 1e15, 1e16, 1e21, 1e-6, 1e-7, 123456789.0])
)
T0 = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)


def expected(record: msgspec.Struct) -> bytes | None:
    try:
        return leaf_hash(canonical_bytes_reference(record))
    except rfc8785.CanonicalizationError:
        return None


def test_the_native_path_is_the_one_under_test():
    assert NATIVE, (
        "the C accelerator must be built in this environment (see tests/ledger/test_native_build.py)"
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(numbers, numbers, st.integers(0, 2**62), st.text(max_size=8)), min_size=1, max_size=12)
)
def test_readings(rows):
    records = [
        Reading(
            device_id=text or "d",
            container_id="MSCU1234565",
            seq=seq,
            ts=T0,
            lat=a,
            lon=1.5,
            temperature_c=b,
            heading=-0.0,
            hdop=1.0,
        )
        for a, b, seq, text in rows
    ]
    wanted = [expected(r) for r in records]
    if any(w is None for w in wanted):
        with pytest.raises(ValidationError):
            record_leaves(records)
        return
    assert record_leaves(records) == wanted


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.text(max_size=6), numbers | st.text(max_size=6), max_size=4),
    numbers,
    st.sampled_from(["Shock of 7.0 g (limit 4.0 g).", 'é "quoted"']),
)
def test_alerts_with_nested_explanations(observed, lat, summary):
    explanation = Explanation(rule="shock", summary=summary, threshold={"g": 4.0}, observed=observed)
    alert = Alert(
        alert_id="a1",
        kind=AlertKind.SHOCK,
        severity=Severity.HIGH,
        container_id="MSCU1234565",
        device_id="d",
        ts=T0,
        lat=lat,
        lon=None,
        explanation=explanation,
    )
    want = expected(alert)
    if want is None:
        with pytest.raises(ValidationError):
            record_leaves([alert])
        return
    assert record_leaves([alert]) == [want]


def test_non_finite_values_are_refused_not_hashed():
    r = Reading(device_id="d", container_id="MSCU1234565", seq=1, ts=T0, lat=math.nan, lon=1.0)
    with pytest.raises(ValidationError):
        record_leaves([r])
