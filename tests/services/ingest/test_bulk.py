"""The batch fast path never vouches for a reading the contract's ``check_reading`` would refuse."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from cargotrail.contract.records import Reading
from cargotrail.contract.validate import check_reading
from cargotrail.errors import ValidationError
from services.ingest.bulk import all_plausible
from tests.conftest import T0, reading

NOW_S = (T0 + timedelta(days=1)).timestamp()
floats = st.floats(allow_nan=True, allow_infinity=True) | st.floats(min_value=-200, max_value=200)
optional = st.none() | floats
readings = st.builds(
    Reading,
    device_id=st.sampled_from(["", "TRK-1"]),
    container_id=st.sampled_from(["CSQU3054383", "CSQU3054384", "MSCU0000017", ""]),
    seq=st.integers(min_value=-3, max_value=2**40),
    ts=st.datetimes(
        min_value=datetime(2026, 1, 1),
        max_value=datetime(2026, 6, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5))]) | st.none(),
    ),
    lat=floats,
    lon=floats,
    speed_kmh=optional,
    heading=optional,
    temperature_c=optional,
    battery_pct=optional,
    shock_g=optional,
)


def passes(r: Reading) -> bool:
    try:
        check_reading(r, now_s=NOW_S, max_future_s=300.0)
    except ValidationError:
        return False
    return True


@given(st.lists(readings, max_size=6))
def test_the_fast_path_vouches_only_for_readings_check_reading_accepts(batch):
    if all_plausible(batch, now_s=NOW_S, max_future_s=300.0):
        assert all(passes(r) for r in batch)


def test_a_plausible_batch_takes_the_fast_path_and_one_bad_value_leaves_it():
    good = [reading(seq=i, minutes=i, battery_pct=50.0, temperature_c=4.0) for i in range(50)]
    assert all_plausible(good, now_s=NOW_S, max_future_s=300.0)
    for bad in ({"temperature_c": math.nan}, {"battery_pct": 100.5}, {"lat": 95.0}, {"seq": -1}):
        spoiled = [*good[:10], reading(**{"seq": 99, **bad}), *good[10:]]
        assert not all_plausible(spoiled, now_s=NOW_S, max_future_s=300.0), bad
