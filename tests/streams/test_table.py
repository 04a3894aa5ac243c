"""Readings into columns: the native one-pass reader equals the field-by-field reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cargotrail.contract.records import Reading
from streams.processors import table
from streams.processors.devices import DeviceRanks
from streams.processors.plans import PlanBook

FIELDS = ("ts", "device", "seq", "plan_code", "lon", "lat", "temp", "shock", "door")

times = st.one_of(
    st.datetimes(datetime(1600, 1, 1), datetime(2400, 1, 1), timezones=st.just(UTC)),
    st.datetimes(datetime(1970, 1, 2), datetime(2100, 1, 1), timezones=st.just(timezone(timedelta(hours=5)))),
    st.datetimes(datetime(1970, 1, 2), datetime(2100, 1, 1)),  # naive: local time, as datetime.timestamp says
)
sensor = st.one_of(st.none(), st.floats(allow_nan=False), st.integers(-5, 5))


@st.composite
def readings(draw: st.DrawFn) -> Reading:
    return Reading(
        device_id=draw(st.sampled_from(["TRK-A", "TRK-B", "TRK-é", "TRK-\x00"])),
        container_id=draw(st.sampled_from(["MSCU1234565", "HLXU1000002", "NEWU0000000"])),
        seq=draw(st.one_of(st.integers(0, 2**63 - 1), st.integers(2**63, 2**65))),
        ts=draw(times),
        lat=draw(st.floats(-90, 90)),
        lon=draw(st.one_of(st.floats(-180, 180), st.integers(-180, 180))),
        temperature_c=draw(sensor),
        shock_g=draw(sensor),
        door_open=draw(st.sampled_from([None, True, False])),
    )


def book() -> tuple[DeviceRanks, PlanBook]:
    devices, plans = DeviceRanks(), PlanBook([])
    devices.code_all(["TRK-B"])
    plans.code("MSCU1234565")
    plans.code("HLXU1000002")
    return devices, plans


def test_the_native_reader_is_built_here():
    assert table.NATIVE, "streams.processors._table is not built: make install (needs a C compiler)"


@settings(max_examples=300, deadline=None)
@given(st.lists(readings(), max_size=30))
def test_native_columns_equal_the_reference(rs):
    (d1, p1), (d2, p2) = book(), book()
    got, want = table.read_table(rs, d1, p1), table.read_table_py(rs, d2, p2)
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
        assert getattr(got, name).dtype == getattr(want, name).dtype, name
    assert got.readings.tolist() == rs and want.readings.tolist() == rs
    assert got.container.tolist() == want.container.tolist()
    assert d1.codes == d2.codes and p1.codes == p2.codes  # nobody numbered anything differently


@settings(max_examples=100, deadline=None)
@given(st.lists(readings(), min_size=1, max_size=30))
def test_the_native_path_itself_runs_on_ordinary_readings(rs):
    """Floats, UTC times and 64-bit seqs stay on the native path (no silent fallback)."""
    if table._native is None:
        pytest.fail("streams.processors._table is not built")
    plain = [
        msgspec.structs.replace(
            r,
            seq=r.seq % 2**63,
            ts=r.ts.replace(tzinfo=UTC),
            lon=float(r.lon),
            temperature_c=None if r.temperature_c is None else float(r.temperature_c),
            shock_g=None if r.shock_g is None else float(r.shock_g),
        )
        for r in rs
    ]
    devices, plans = book()
    n = len(plain)
    floats = [np.empty(n) for _ in range(5)]
    ints = [np.empty(n, dtype=np.int64) for _ in range(3)]
    door = np.empty(n, dtype=bool)
    table._native.read_columns(plain, devices.codes, plans.codes, *floats, *ints, door)
    want = table.read_table_py(plain, *book())
    for name, col in zip(("ts", "lon", "lat", "temp", "shock", "seq"), (*floats, ints[0]), strict=True):
        np.testing.assert_array_equal(col, getattr(want, name), err_msg=name)
    np.testing.assert_array_equal(door, want.door)


def test_bad_input_is_reported_as_the_reference_reports_it():
    bad = Reading(device_id="TRK-A", container_id="X", seq=1, ts="yesterday", lat=1.0, lon=2.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        table.read_table([bad], *book())


def test_records_of_other_types_are_read_by_attribute_alike():
    """The native reader reads a Reading's fields from its slots, anything else by attribute."""
    r = Reading(
        device_id="TRK-A",
        container_id="MSCU1234565",
        seq=3,
        ts=datetime(2026, 1, 1, tzinfo=UTC),
        lat=1.5,
        lon=2.5,
        temperature_c=-18.0,
        door_open=True,
    )
    duck = SimpleNamespace(**{f: getattr(r, f) for f in r.__struct_fields__})
    for rs in ([r, duck], [duck, r], [duck]):
        got, want = table.read_table(rs, *book()), table.read_table_py(rs, *book())  # type: ignore[arg-type]
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
