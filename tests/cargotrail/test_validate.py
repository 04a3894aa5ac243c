"""Bad input is rejected per record, naming the field; the valid records beside it go on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import msgspec

from cargotrail.contract import make_container_id
from cargotrail.contract.validate import decode_readings, split_readings
from tests.conftest import T0, reading

NOW = T0 + timedelta(hours=1)
BOX = make_container_id("MAE", 42)


def good(seq: int) -> dict[str, object]:
    return {
        "device_id": "TRK-7",
        "container_id": BOX,
        "seq": seq,
        "ts": "2026-03-02T00:30:00Z",
        "lat": 51.9,
        "lon": 4.1,
    }


def test_each_kind_of_bad_input_is_named_and_the_good_ones_survive():
    bad_items = [
        ({**good(1), "lat": float("nan")}, "lat"),
        ({**good(2), "lon": 181.0}, "lon"),
        ({**good(3), "container_id": "CSQU3054384"}, "container_id"),
        ({**good(4), "ts": "2026-03-09T00:00:00Z"}, "ts"),
        ({k: v for k, v in good(5).items() if k != "container_id"}, "container_id"),
        ({**good(6), "seq": "six"}, "seq"),
        ({**good(7), "ts": "yesterday"}, "ts"),
        ({**good(8), "ts": "2026-03-02T00:30:00"}, "ts"),
        ({**good(9), "battery_pct": 140}, "battery_pct"),
    ]
    items: list[object] = []
    for i, (item, _) in enumerate(bad_items):
        items.append(good(100 + i))
        items.append(item)
    payload = json.dumps(items, allow_nan=True).encode()
    valid, rejected = decode_readings(payload, now=NOW, max_future_s=300, source="http")
    assert [r.seq for r in valid] == [100 + i for i in range(len(bad_items))]
    assert [r.field for r in rejected] == [field for _, field in bad_items]
    assert all(r.reason and r.raw and r.source == "http" for r in rejected)
    assert rejected[2].record.startswith("CSQU3054384/TRK-7#3")


def test_a_payload_that_is_not_json_is_one_rejection():
    valid, rejected = decode_readings(b"{not json", now=NOW, max_future_s=300, source="mqtt")
    assert valid == [] and len(rejected) == 1 and "JSON array" in rejected[0].reason


def test_split_checks_decoded_readings_too():
    far = reading(BOX, seq=1, minutes=24 * 60)
    ok = reading(BOX, seq=2, minutes=1)
    valid, rejected = split_readings([far, ok], now=NOW, max_future_s=300)
    assert valid == [ok]
    assert rejected[0].field == "ts" and "future" in rejected[0].reason
    assert msgspec.json.decode(rejected[0].raw)["seq"] == 1


def test_now_is_timezone_aware():
    assert NOW.tzinfo is UTC and datetime.now(UTC) > NOW
