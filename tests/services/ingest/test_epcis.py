"""EPCIS 2.0 parser: every shared GS1 example accepted or explained, associations, fuzzing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.ingest.devices import DeviceRegistry
from services.ingest.epcis import parse_epcis
from tests.conftest import SHARED_DATA

EPCIS = SHARED_DATA / "epcis"
BOX, OTHER = "CSQU3054383", "TCNU7200794"
GRAI = "urn:epc:id:grai:4012345.55555.987"
TRACKER = "urn:epc:id:giai:4000001.111"
GATE = "urn:epc:id:sgln:4012345.00005.0"


def events_in(path: Path) -> int:
    body = json.loads(path.read_bytes())["epcisBody"]
    return len(body.get("eventList", [body.get("event")]))


def test_the_shared_examples_are_there():
    assert len(list(EPCIS.glob("*.jsonld"))) >= 30, f"expected the GS1 EPCIS examples in {EPCIS}"


@pytest.mark.parametrize("path", sorted(EPCIS.glob("*.jsonld")), ids=lambda p: p.name)
def test_every_shared_example_is_accepted_or_explained(path):
    registry = DeviceRegistry(assets={GRAI: BOX}, read_points={GATE: (51.95, 4.05)})
    registry.bind(TRACKER, OTHER)
    out = parse_epcis(path.read_bytes(), registry=registry)
    outcomes = {r.position for r in out.rejections} | {s.position for s in out.skipped}
    # every event is accounted for: a skip or rejection with a reason, or readings
    assert len(out.rejections) + len(out.skipped) <= events_in(path)
    assert out.readings or outcomes
    if not out.readings:  # one outcome per event
        assert len(out.rejections) + len(out.skipped) == events_in(path)
    assert all(r.reason for r in out.rejections) and all(s.reason for s in out.skipped)
    assert all(r.source == "epcis" and r.ts.tzinfo is not None for r in out.readings)


def test_sensor_reports_become_readings_of_the_container_the_tracker_is_bound_to():
    registry = DeviceRegistry(read_points={GATE: (51.95, 4.05)})
    registry.bind(TRACKER, BOX)
    out = parse_epcis((EPCIS / "SensorDataExample1.jsonld").read_bytes(), registry=registry)
    assert [r.temperature_c for r in out.readings] == [26.0, 26.1, 26.2]
    assert {(r.container_id, r.device_id, r.lat, r.lon, r.speed_kmh) for r in out.readings} == {
        (BOX, TRACKER, 51.95, 4.05, 160.0),
        (BOX, TRACKER, 51.95, 4.05, 161.0),
        (BOX, TRACKER, 51.95, 4.05, 162.0),
    }
    assert len({r.seq for r in out.readings}) == 3


def test_a_container_reading_without_a_position_is_rejected_for_replay():
    registry = DeviceRegistry()
    registry.bind(TRACKER, BOX)
    out = parse_epcis((EPCIS / "SensorDataExample1.jsonld").read_bytes(), registry=registry)
    (rejection,) = out.rejections
    assert not out.readings and rejection.field == "sensorElementList" and GATE in rejection.reason
    assert json.loads(rejection.raw)["type"] == "ObjectEvent"  # one event: replayable on its own
    registry.read_points[GATE] = (51.95, 4.05)
    assert len(parse_epcis(rejection.raw.encode(), registry=registry).readings) == 3


def test_association_add_then_delete_binds_and_unbinds_the_tracker():
    registry = DeviceRegistry(assets={GRAI: BOX})
    added = parse_epcis((EPCIS / "AssociationEvent-a.jsonld").read_bytes(), registry=registry)
    assert added.bindings == [("urn:epc:id:giai:4000001.12345", BOX)]
    assert registry.bindings == {"urn:epc:id:giai:4000001.12345": BOX}
    removed = parse_epcis((EPCIS / "AssociationEvent-c.jsonld").read_bytes(), registry=registry)
    assert removed.bindings == [("urn:epc:id:giai:4000001.12345", None)] and registry.bindings == {}
    not_a_box = parse_epcis((EPCIS / "AssociationEvent-b.jsonld").read_bytes(), registry=registry)
    assert "not about a known container" in not_a_box.skipped[0].reason and not registry.bindings


def test_wgs84_coordinates_and_container_epcs_give_a_position_without_any_registry():
    doc = json.loads((EPCIS / "SensorDataExample14.jsonld").read_bytes())
    doc["epcisBody"]["eventList"][0]["epcList"] = [f"urn:bic:{BOX}"]
    (reading,) = parse_epcis(json.dumps(doc).encode(), registry=DeviceRegistry()).readings
    assert (reading.container_id, reading.lat, reading.lon) == (BOX, 42.698334, 23.319941)


def test_non_documents_are_rejected_whole():
    for payload in (b"{", b"[1", b'{"type": "EPCISDocument"}', b"42"):
        out = parse_epcis(payload, registry=DeviceRegistry())
        assert len(out.rejections) == 1 and out.rejections[0].record == "#document"


def good_event(i: int) -> dict:
    return {
        "type": "ObjectEvent",
        "eventTime": f"2026-03-02T10:{i % 60:02d}:00Z",
        "epcList": [f"urn:bic:{BOX}"],
        "sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": float(i), "uom": "CEL"}]}],
        "readPoint": {"id": "geo:51.9,4.1"},
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
bad_events = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"type": st.sampled_from(["ObjectEvent", "AggregationEvent", "AssociationEvent"])},
        optional={
            "eventTime": json_values,
            "sensorElementList": json_values,
            "parentID": json_values,
            "childEPCs": json_values,
            "action": json_values,
            "readPoint": json_values,
        },
    ),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(bad_events, min_size=1, max_size=10))
def test_fuzz_malformed_events_never_crash_and_valid_events_beside_them_all_go_through(bad):
    events: list[object] = []
    for i, b in enumerate(bad):
        events.extend([good_event(i), b])
    out = parse_epcis(json.dumps({"epcisBody": {"eventList": events}}).encode(), registry=DeviceRegistry())
    good_temps = {float(i) for i in range(len(bad))}
    assert good_temps <= {r.temperature_c for r in out.readings if r.container_id == BOX}
    assert all(r.reason for r in out.rejections) and all(s.reason for s in out.skipped)
    assert all(r.position % 2 == 0 for r in out.rejections)
