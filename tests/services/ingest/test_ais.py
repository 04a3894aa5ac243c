"""AIS parser: the shared pyais stream, the manifest, multi-part messages, and fuzzing."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyais.encode import encode_dict

from services.ingest.ais import parse_ais
from services.ingest.devices import DeviceRegistry
from tests.conftest import SHARED_DATA

RECEIVED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
BOXES = ["CSQU3054383", "TCNU7200794"]
MMSI = 211234567


def sample() -> list[str]:
    return (SHARED_DATA / "ais" / "nmea_data_sample.txt").read_bytes().decode().split("\r\n")


def test_every_message_of_the_shared_stream_is_accepted_or_explained():
    lines = sample()
    registry = DeviceRegistry(manifest={235070716: BOXES})
    out = parse_ais(lines, registry=registry, received=RECEIVED)
    vessel_positions = len(out.readings) // len(BOXES)
    assert vessel_positions + len(out.rejections) + len(out.skipped) == len(lines) == 898
    assert vessel_positions > 0 and {r.container_id for r in out.readings} == set(BOXES)
    assert all(r.source == "ais" and r.device_id.startswith("ais:235070716:") for r in out.readings)
    # the 20 first halves of two-part messages never get their second half: rejected, with the raw line
    assert len(out.rejections) == 20
    assert all("incomplete multi-part" in r.reason and r.raw.startswith("!AIVDM,2,1") for r in out.rejections)
    reasons = [s.reason for s in out.skipped]
    assert sum("empty payload" in r for r in reasons) == 100
    assert any("type 4 message carries no vessel position" in r for r in reasons)  # base stations
    assert {v.name for v in out.vessels} >= {"SY-LUNDE"}  # type 24 static data kept
    assert len({(r.device_id, r.seq) for r in out.readings}) == len(out.readings)  # unique reading ids


def test_positions_become_readings_of_every_container_on_board():
    (line,) = encode_dict({"type": 1, "mmsi": MMSI, "lat": 51.9, "lon": 4.1, "speed": 12.5, "course": 90.0})
    out = parse_ais([line], registry=DeviceRegistry(manifest={MMSI: BOXES}), received=RECEIVED)
    assert [r.container_id for r in out.readings] == BOXES
    r = out.readings[0]
    assert abs(r.lat - 51.9) < 1e-4 and abs(r.lon - 4.1) < 1e-4
    assert r.speed_kmh is not None and abs(r.speed_kmh - 12.5 * 1.852) < 1e-6
    assert r.heading == 90.0  # no true heading (511): course over ground instead


def test_unknown_vessels_and_unavailable_positions_are_explained():
    (known,) = encode_dict({"type": 1, "mmsi": MMSI, "lat": 91, "lon": 181})
    (other,) = encode_dict({"type": 1, "mmsi": 999999999, "lat": 51.9, "lon": 4.1})
    out = parse_ais([known, other], registry=DeviceRegistry(manifest={MMSI: BOXES}), received=RECEIVED)
    assert not out.readings and not out.rejections
    assert ["not available" in out.skipped[0].reason, "manifest" in out.skipped[1].reason] == [True, True]


def test_multi_part_static_data_is_assembled_and_broken_fragments_rejected():
    parts = encode_dict(
        {
            "type": 5,
            "mmsi": MMSI,
            "shipname": "CARGO ONE",
            "callsign": "DABC",
            "imo": 9123456,
            "destination": "NLRTM",
        }
    )
    assert len(parts) == 2
    out = parse_ais(parts, registry=DeviceRegistry(), received=RECEIVED)
    (vessel,) = out.vessels
    assert (vessel.mmsi, vessel.name, vessel.imo, vessel.destination) == (MMSI, "CARGO ONE", 9123456, "NLRTM")
    assert len(out.skipped) == 1 and out.skipped[0].position == 1 and not out.rejections
    orphan = parse_ais([parts[1], parts[0]], registry=DeviceRegistry(), received=RECEIVED)
    assert [r.field for r in orphan.rejections] == ["frag_num", "frag_cnt"]
    tampered = parts[0][:-2] + ("00" if not parts[0].endswith("00") else "01")
    assert (
        parse_ais([tampered], registry=DeviceRegistry(), received=RECEIVED).rejections[0].field == "checksum"
    )


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.text(max_size=100),
            st.from_regex(r"!AIVDM,[0-9],[0-9],[0-9]?,[AB],[0-9A-Za-z]{0,40},[0-5]\*[0-9A-F]{2}"),
        ),
        min_size=1,
        max_size=15,
    )
)
def test_fuzz_malformed_sentences_never_crash_and_valid_positions_all_go_through(garbage):
    lines: list[str] = []
    for i, g in enumerate(garbage):
        lines.extend(encode_dict({"type": 1, "mmsi": MMSI, "lat": 50.0 + i / 100, "lon": 4.0}))
        lines.append(g.replace("\n", " ").replace("\r", " "))
    out = parse_ais(lines, registry=DeviceRegistry(manifest={MMSI: BOXES[:1]}), received=RECEIVED)
    valid = [r for r in out.readings if abs(r.lon - 4.0) < 1e-4 and r.lat >= 50.0]
    assert len(valid) >= len(garbage)
    assert all(r.reason for r in out.rejections) and all(s.reason for s in out.skipped)
    assert all(r.position % 2 == 0 for r in out.rejections)
