"""NMEA 0183 parser: the shared pynmea2 sample, GGA dating, and fuzzing with interleaved garbage."""

from __future__ import annotations

from datetime import UTC, datetime

import pynmea2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.ingest.devices import DeviceRegistry
from services.ingest.lines import Overlong
from services.ingest.nmea import StreamState, parse_chunk, parse_nmea
from tests.conftest import SHARED_DATA

CONTAINER = "CSQU3054383"
REF = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def registry() -> DeviceRegistry:
    r = DeviceRegistry()
    r.bind("GPS-1", CONTAINER)
    return r


def sentence(body: str) -> str:
    """``body`` framed as an NMEA sentence with its checksum."""
    return f"${body}*{pynmea2.NMEASentence.checksum(body):02X}"


def gga(hh: int, mm: int, ss: int, lat_min: float) -> str:
    return sentence(
        f"GPGGA,{hh:02d}{mm:02d}{ss:02d}.00,51{lat_min:06.3f},N,00406.000,E,1,08,0.9,5.0,M,47.0,M,,"
    )


def test_every_line_of_the_shared_sample_is_accepted_or_explained():
    lines = (SHARED_DATA / "nmea" / "data.log").read_text().splitlines()
    out = parse_nmea(lines, device_id="GPS-1", registry=registry(), reference=REF)
    assert len(out.readings) + len(out.rejections) + len(out.skipped) == len(lines) == 5
    (fix,) = out.readings
    assert (fix.device_id, fix.container_id, fix.source, fix.hdop) == ("GPS-1", CONTAINER, "nmea", 2.6)
    assert abs(fix.lat + 19.484083) < 1e-5 and abs(fix.lon - 24.1751) < 1e-5
    # the GGA time 18:43:53 is after the reference's time of day: it was yesterday's
    assert fix.ts == datetime(2026, 3, 1, 18, 43, 53, 70000, tzinfo=UTC)
    (bad,) = out.rejections
    assert bad.position == 4 and bad.raw == "foobar" and "not an NMEA" in bad.reason
    assert {s.position: s.reason.split()[0] for s in out.skipped} == {2: "RTE", 3: "R00", 5: "MWV"}


def test_rmc_dates_the_gga_that_follow_and_gives_speed_in_kmh():
    rmc = "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A"
    out = parse_nmea([rmc, gga(12, 35, 20, 7.0)], device_id="GPS-1", registry=registry(), reference=REF)
    first, second = out.readings
    assert first.ts == datetime(1994, 3, 23, 12, 35, 19, tzinfo=UTC)
    assert first.speed_kmh is not None and abs(first.speed_kmh - 22.4 * 1.852) < 1e-9
    assert first.heading == 84.4
    assert second.ts == datetime(1994, 3, 23, 12, 35, 20, tzinfo=UTC)
    assert first.seq < second.seq


def test_checksum_errors_unknown_sentences_and_unbound_devices_are_rejected_with_reasons():
    good = gga(10, 0, 0, 1.0)
    broken = good[:-2] + ("00" if not good.endswith("00") else "01")
    lines = [broken, "$GPZZZ,1,2*5A", good]
    out = parse_nmea(lines, device_id="GPS-1", registry=registry(), reference=REF)
    assert out.rejections[0].field == "checksum"
    assert len(out.readings) == 1 and len(out.rejections) + len(out.skipped) == 2
    unbound = parse_nmea([good], device_id="GPS-9", registry=registry(), reference=REF)
    assert unbound.rejections[0].field == "device_id" and "not bound" in unbound.rejections[0].reason


def test_no_fix_is_explained_not_rejected():
    no_fix = sentence("GPGGA,100000.00,5101.000,N,00406.000,E,0,00,,,M,,M,,")
    warn = sentence("GPRMC,123519,V,4807.038,N,01131.000,E,,,230394,,")
    out = parse_nmea([no_fix, warn], device_id="GPS-1", registry=registry(), reference=REF)
    assert not out.readings and not out.rejections and len(out.skipped) == 2


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=120), min_size=1, max_size=20))
def test_fuzz_garbage_never_crashes_and_valid_fixes_beside_it_all_go_through(garbage):
    lines: list[str] = []
    for i, g in enumerate(garbage):
        lines.append(gga(10, i // 60, i % 60, float(i)))
        lines.append(g.replace("\n", " ").replace("\r", " "))
    out = parse_nmea(lines, device_id="GPS-1", registry=registry(), reference=REF)
    assert len(out.readings) + len(out.rejections) + len(out.skipped) == len(lines)
    assert len(out.readings) == len(garbage)  # every valid fix, none lost beside the garbage
    assert all(r.reason for r in out.rejections) and all(s.reason for s in out.skipped)
    assert all(r.position % 2 == 0 for r in out.rejections)  # only garbage lines (even, 1-based)


def test_stream_chunks_keep_numbering_lines_and_reject_overlong_ones():
    state = StreamState()
    first = parse_chunk(
        [gga(10, 0, 0, 1.0).encode(), Overlong(b"$GPGGA,999")],
        device_id="GPS-1",
        registry=registry(),
        reference=REF,
        stream=state,
        max_line=10,
    )
    second = parse_chunk(
        [b"\xff" + gga(10, 0, 1, 1.0).encode()[1:], gga(10, 0, 2, 1.0).encode()],
        device_id="GPS-1",
        registry=registry(),
        reference=REF,
        stream=state,
        max_line=10,
    )
    assert len(first.readings) == 1 and [(r.position, r.field) for r in first.rejections] == [(2, "line")]
    assert first.rejections[0].record == "GPS-1#line2" and first.rejections[0].raw == "$GPGGA,999"
    assert len(second.readings) == 1 and [r.record for r in second.rejections] == ["GPS-1#line3"]
    assert state.lines == 4
