"""The wire format (no broker needed): versioned, tagged, refusing what it cannot read."""

from __future__ import annotations

import msgspec
import pytest

from cargotrail.errors import ValidationError
from cargotrail.kafka.codec import (
    VERSION_HEADER,
    VERSION_HEADERS,
    AnchorBatch,
    Readings,
    Tick,
    decode_input,
    decode_input_salvaging,
    decode_output,
    encode,
)
from streams.processors.batcher import AnchoringBatcher
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


def test_a_batch_of_readings_round_trips_in_order():
    batch = Readings(readings=[reading(seq=i) for i in range(3)])
    assert decode_input(encode(batch), VERSION_HEADERS) == batch


def test_a_bad_reading_in_a_batch_is_refused_alone_naming_its_field_and_index():
    good = [msgspec.to_builtins(reading(seq=i)) for i in range(3)]
    good[1]["lat"] = "north"
    value = msgspec.json.encode({"type": "readings", "readings": good})
    record, errors = decode_input_salvaging(value, VERSION_HEADERS, "t/2@9")
    assert record == Readings(readings=[reading(seq=0), reading(seq=2)])
    assert [(e.record, e.field) for e in errors] == [("t/2@9#1", "lat")]


def test_salvaging_never_guesses_across_schema_versions():
    record, errors = decode_input_salvaging(encode(Readings(readings=[reading()])), [(VERSION_HEADER, b"99")])
    assert record is None
    assert [e.field for e in errors] == [VERSION_HEADER]


def test_a_record_that_is_no_batch_is_refused_whole():
    record, errors = decode_input_salvaging(b"{not json", VERSION_HEADERS, "t/1@42")
    assert record is None
    assert [e.record for e in errors] == ["t/1@42"]


def _closed_batch():  # type: ignore[no-untyped-def]
    b = AnchoringBatcher("p0", max_records=5, max_seconds=60)
    (closed,) = b.add([reading(seq=i) for i in range(5)], now=0.0)
    return closed


def test_an_anchor_batch_travels_as_leaves_and_gives_back_the_same_proofs():
    closed = _closed_batch()
    msg = decode_output(encode(AnchorBatch.of(closed.header, closed.proofs)), VERSION_HEADERS)
    assert isinstance(msg, AnchorBatch) and msg.header == closed.header
    assert list(msg.batch_proofs("a/0@1")) == list(closed.proofs)


def test_an_anchor_batch_whose_leaves_do_not_make_its_root_is_refused():
    closed = _closed_batch()
    good = AnchorBatch.of(closed.header, closed.proofs)
    forged = msgspec.structs.replace(good, leaves=bytes(32) + good.leaves[32:])
    with pytest.raises(ValidationError, match="do not make its root"):
        forged.batch_proofs("a/0@1")
    short = msgspec.structs.replace(good, leaves=good.leaves[:-32])
    with pytest.raises(ValidationError, match="leaf bytes"):
        short.batch_proofs("a/0@1")
