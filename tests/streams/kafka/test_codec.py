"""The wire format (no broker needed): versioned, tagged, refusing what it cannot read."""

from __future__ import annotations

import pytest

from cargotrail.errors import ValidationError
from cargotrail.kafka.codec import VERSION_HEADER, VERSION_HEADERS, Tick, decode_input, decode_output, encode
from tests.conftest import reading


def test_inputs_round_trip_with_their_type():
    r = reading(seq=3)
    assert decode_input(encode(r), VERSION_HEADERS) == r
    assert decode_input(encode(Tick(source_time=5.0, final=True)), VERSION_HEADERS) == Tick(
        source_time=5.0, final=True
    )


def test_another_schema_version_is_refused_not_guessed():
    with pytest.raises(ValidationError, match="schema version"):
        decode_input(encode(reading()), [(VERSION_HEADER, b"99")], "t/0@7")


def test_a_record_without_version_header_is_refused():
    with pytest.raises(ValidationError, match="no schema-version header"):
        decode_output(encode(reading()), None)


def test_garbage_names_where_it_was_found():
    with pytest.raises(ValidationError, match="t/1@42"):
        decode_input(b"{not json", VERSION_HEADERS, "t/1@42")
