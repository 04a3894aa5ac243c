from __future__ import annotations

import msgspec
import pytest

from cargotrail.contract import (
    Reading,
    Record,
    alert_id,
    is_valid_container_id,
    make_container_id,
    reading_id,
    validate_container_id,
)
from cargotrail.errors import ValidationError
from tests.conftest import reading


def test_iso6346_numbers_from_the_shared_data_validate(shared_data):
    valid = (shared_data / "iso6346" / "valid.txt").read_text().split()
    invalid = (shared_data / "iso6346" / "invalid.txt").read_text().split()
    assert valid and invalid
    assert all(is_valid_container_id(n) for n in valid)
    assert not any(is_valid_container_id(n) for n in invalid)


def test_a_bad_check_digit_is_refused_naming_the_field():
    with pytest.raises(ValidationError) as err:
        validate_container_id("CSQU3054384", record="TRK-9#4")
    assert err.value.field == "container_id"
    assert "TRK-9#4" in str(err.value)


def test_made_numbers_are_valid_and_carry_the_owner_code():
    number = make_container_id("MSC", 123456)
    assert number.startswith("MSCU123456") and is_valid_container_id(number)


def test_ids_are_deterministic_and_distinct():
    assert reading_id("TRK-1", 5) == reading_id("TRK-1", 5)
    assert reading_id("TRK-1", 5) != reading_id("TRK-1", 6)
    assert len(alert_id("shock", "MSCU1234565", "x")) == 32


def test_records_round_trip_through_the_tagged_union():
    r = reading(seq=3, temperature_c=-18.5, door_open=False)
    data = msgspec.json.encode(r)
    assert b'"type":"reading"' in data
    back = msgspec.json.decode(data, type=Record)
    assert isinstance(back, Reading) and back == r
