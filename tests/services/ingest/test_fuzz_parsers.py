"""Fuzzing the file entry points (JSON, NMEA, AIS, EPCIS) at volume, through the real pipeline.

Each hypothesis example is one payload of valid messages with structure-aware mutants interleaved
(``mutants``), ingested by ``ingest_payload`` into a fresh data directory: parse -> validate ->
embedded runtime -> SQLite store and its dead-letter table. Per message: every mutant is rejected
once, at its own position, naming the expected field, with a reason; every valid message beside
them is accepted and stored. The malformed messages actually checked are counted per entry point
and must reach its quota (``mutants.QUOTA``; the transports' share is in ``test_fuzz_transports``).
"""

from __future__ import annotations

import dataclasses
import json
import random
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pyais.encode import encode_dict

from cargotrail.contract import make_container_id
from cargotrail.settings import Settings
from cargotrail.wiring import open_store
from services.ingest.devices import DeviceRegistry
from services.ingest.pipeline import IngestReport, ingest_payload, save_registry
from tests.services.ingest import mutants as m

T0 = datetime(2026, 3, 2, tzinfo=UTC)
NOW = T0 + timedelta(hours=12)
MMSI = 244_123_456
GPS = "GPS-FZ"


def clock() -> float:
    return NOW.timestamp()


def fuzz(quota: int, per_example: int, example: Callable[[int, Path], int]) -> int:
    """``example(seed, fresh data directory)`` over hypothesis seeds until ``quota`` mutants are checked."""

    def in_tmp(seed: int) -> int:
        with tempfile.TemporaryDirectory() as tmp:
            return example(seed, Path(tmp))

    return m.run_seeds(quota, per_example, in_tmp)


def data_dir(tmp: Path, registry: DeviceRegistry | None = None) -> Settings:
    s = dataclasses.replace(Settings(), data_dir=tmp / "data")
    if registry is not None:
        save_registry(s.data_dir, registry)
    return s


def check(report: IngestReport, expected: dict[int, str], valid: int, s: Settings) -> int:
    """Each mutant rejected once at its position with its field and a reason; each valid one stored."""
    by_position = {r.position: r for r in report.rejections}
    assert len(report.rejections) == len(by_position) == len(expected), (
        f"{len(report.rejections)} rejections for {len(expected)} mutants"
    )
    assert by_position.keys() == expected.keys()
    for position, field in expected.items():
        r = by_position[position]
        assert r.reason and r.record, r
        assert r.field == field, (position, field, r)
    assert report.accepted == valid
    store = open_store(s)
    try:
        counts = store.counts()
    finally:
        store.close()
    assert (counts["dead_letters"], counts["readings"]) == (len(expected), valid)
    return len(expected)


JSON_BAD, JSON_GOOD = 1000, 250


def json_example(seed: int, tmp: Path) -> int:
    rng = random.Random(seed)
    bad_at = m.interleave(rng, JSON_BAD, JSON_GOOD)
    nan = rng.random() < 0.25
    items: list[object] = []
    expected: dict[int, str] = {}
    for i in range(JSON_BAD + JSON_GOOD):
        base = m.valid_reading(rng, i, T0)
        if i in bad_at:
            mutant = m.json_mutant(rng, base, NOW, nan=nan)
            expected[i] = mutant.field
            items.append(mutant.payload)
        else:
            items.append(base)
    payload = ("[" + ",".join(map(m.dumps, items)) + "]").encode()
    s = data_dir(tmp)
    report = ingest_payload(s, "json", payload, clock=clock)
    return check(report, expected, JSON_GOOD, s)


NMEA_BAD, NMEA_GOOD = 1000, 300


def nmea_example(seed: int, tmp: Path) -> int:
    rng = random.Random(seed)
    bad_at = m.interleave(rng, NMEA_BAD, NMEA_GOOD)
    lines: list[str] = []
    expected: dict[int, str] = {}
    for i in range(NMEA_BAD + NMEA_GOOD):
        good = m.valid_gga(i, T0) if i % 2 else m.valid_rmc(i, T0)
        if i in bad_at:
            mutant = m.nmea_mutant(rng, good)
            expected[i + 1] = mutant.field  # NMEA positions are 1-based line numbers
            lines.append(mutant.payload)
        else:
            lines.append(good)
    registry = DeviceRegistry()
    registry.bind(GPS, make_container_id("GPU", 1))
    s = data_dir(tmp, registry)
    report = ingest_payload(s, "nmea", "\r\n".join(lines).encode(), device=GPS, clock=clock)
    return check(report, expected, NMEA_GOOD, s)


AIS_BAD, AIS_GOOD = 800, 200
STATIC = encode_dict({"type": 5, "mmsi": MMSI, "shipname": "FUZZ", "callsign": "FZ", "destination": "NLRTM"})


def ais_example(seed: int, tmp: Path) -> int:
    rng = random.Random(seed)
    bad_at = m.interleave(rng, AIS_BAD, AIS_GOOD)
    lines: list[str] = []
    expected: dict[int, str] = {}
    for i in range(AIS_BAD + AIS_GOOD):
        position = {"type": 1, "mmsi": MMSI, "lat": rng.uniform(-60, 60), "lon": rng.uniform(-170, 170)}
        (good,) = encode_dict(position)
        if i in bad_at:
            mutant = m.ais_mutant(rng, good, STATIC)
            expected[i + 1] = mutant.field
            lines.append(mutant.payload)
        else:
            lines.append(good)
    s = data_dir(tmp, DeviceRegistry(manifest={MMSI: [make_container_id("AIS", 7)]}))
    report = ingest_payload(s, "ais", "\n".join(lines).encode(), clock=clock)
    return check(report, expected, AIS_GOOD, s)


EPCIS_BAD, EPCIS_GOOD, EPCIS_DOCS = 600, 200, 20


def epcis_example(seed: int, tmp: Path) -> int:
    rng = random.Random(seed)
    bad_at = m.interleave(rng, EPCIS_BAD, EPCIS_GOOD)
    events: list[object] = []
    expected: dict[int, str] = {}
    for i in range(EPCIS_BAD + EPCIS_GOOD):
        good = m.valid_event(i, T0)
        if i in bad_at:
            mutant = m.epcis_mutant(rng, good)
            expected[i + 1] = mutant.field  # EPCIS positions are 1-based event numbers
            events.append(mutant.payload)
        else:
            events.append(good)
    document = {"type": "EPCISDocument", "schemaVersion": "2.0", "epcisBody": {"eventList": events}}
    s = data_dir(tmp)
    count = check(
        ingest_payload(s, "epcis", json.dumps(document).encode(), clock=clock), expected, EPCIS_GOOD, s
    )
    for k in range(EPCIS_DOCS):  # and whole payloads that are no document at all
        report = ingest_payload(s, "epcis", m.epcis_document_mutant(rng), clock=clock)
        (rejection,) = report.rejections
        assert rejection.record == "#document" and rejection.reason and report.accepted == 0, k
    store = open_store(s)
    try:
        assert store.counts()["dead_letters"] == count + EPCIS_DOCS
    finally:
        store.close()
    return count + EPCIS_DOCS


def test_fuzz_json_batches():
    fuzz(m.QUOTA["json"], JSON_BAD, json_example)


def test_fuzz_nmea_lines():
    fuzz(m.QUOTA["nmea"], NMEA_BAD, nmea_example)


def test_fuzz_ais_sentences():
    fuzz(m.QUOTA["ais"], AIS_BAD, ais_example)


def test_fuzz_epcis_events():
    fuzz(m.QUOTA["epcis"], EPCIS_BAD + EPCIS_DOCS, epcis_example)


def test_the_quotas_reach_100k_malformed_messages_across_every_entry_point():
    assert set(m.QUOTA) == {"json", "nmea", "ais", "epcis", "http", "mqtt", "kafka", "nmea_stream"}
    assert sum(m.QUOTA.values()) >= m.TOTAL_REQUIRED
