"""Schema checks of the Kafka-direct records (pure): the header, the value, the reading's fields."""

from __future__ import annotations

import json

import msgspec

from services.ingest.kafka_raw import RawRecord, check_records
from tests.conftest import T0, reading

V1 = [("schema-version", b"1")]
NOW = T0.timestamp() + 3600


def rec(value: bytes | None, headers=V1, offset: int = 0) -> RawRecord:
    return RawRecord("p.ingest.raw", 1, offset, value, headers)


def test_valid_records_pass_with_or_without_the_type_tag():
    tagged = msgspec.json.encode(reading(seq=1))
    untagged = json.dumps({k: v for k, v in json.loads(tagged).items() if k != "type"}).encode()
    good, bad = check_records([rec(tagged), rec(untagged, dict(V1), 1)], now_s=NOW, max_future_s=300)
    assert not bad and [r.seq for r in good] == [1, 1]


def test_each_bad_record_is_rejected_naming_its_field_and_record():
    one = json.loads(msgspec.json.encode(reading(seq=7)))
    cases = [
        (rec(msgspec.json.encode(reading()), headers=None), "schema-version", "no schema-version"),
        (rec(msgspec.json.encode(reading()), headers=[("schema-version", b"2")]), "schema-version", "'2'"),
        (rec(None), "value", "tombstone"),
        (rec(b"{nope"), "value", "not JSON"),
        (rec(json.dumps({**one, "lat": "north"}).encode()), "lat", "Expected `float`"),
        (rec(json.dumps({k: v for k, v in one.items() if k != "seq"}).encode()), "seq", "missing"),
        (rec(json.dumps({**one, "lon": 200.5}).encode()), "lon", "not in [-180, 180]"),
        (rec(json.dumps({**one, "type": "rfid"}).encode()), "type", "Invalid value"),
    ]
    records = [RawRecord(r.topic, r.partition, i, r.value, r.headers) for i, (r, _, _) in enumerate(cases)]
    good, bad = check_records(records, now_s=NOW, max_future_s=300)
    assert not good and len(bad) == len(cases)
    for rejection, (_, field, words) in zip(bad, cases, strict=True):
        assert rejection.source == "kafka" and rejection.field == field, rejection
        assert words in rejection.reason and rejection.record
        assert f"@{rejection.position}" in rejection.record + rejection.reason
    assert bad[6].record.endswith("#7")  # decoded: named by container/device#seq
