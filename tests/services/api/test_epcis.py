"""EPCIS 2.0 query output: the GS1 examples' structure and vocabulary, JSON-LD terms that all expand
under the official context, the reference CBV 2.0 event hash, and a round trip through our capture."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import epcis_event_hash_generator.__main__ as reference
import pytest
from pyld import jsonld

from cargotrail.contract.iso6346 import is_valid_container_id
from ledger.core.epcis_hash import EPCIS_CONTEXT, _bundled_context, _offline_loader
from services.api import Role
from services.ingest.devices import DeviceRegistry
from services.ingest.epcis import parse_epcis

EXAMPLES = sorted((Path(__file__).resolve().parents[3].parent / "shared" / "data" / "epcis").glob("*.jsonld"))
pytestmark = pytest.mark.filterwarnings("ignore:open_text is deprecated:DeprecationWarning")


def events_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


@pytest.fixture(scope="module")
def box(served) -> str:
    """A container with RFID reads, geofence events and readings."""
    for p in served.store.latest_positions():
        if served.store.rfid(p.container_id) and served.store.events(p.container_id):
            return p.container_id
    raise AssertionError("the seeded run has no container with RFID reads and geofence events")


@pytest.fixture(scope="module")
def doc(served, box) -> dict[str, Any]:
    r = served.get(f"/v1/containers/{box}/epcis", max_readings=300)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/ld+json")
    return r.json()


def example_object_event_keys() -> set[str]:
    keys: set[str] = set()
    for path in EXAMPLES:
        body = json.loads(path.read_text())["epcisBody"]
        for e in body.get("eventList") or [body.get("event")]:
            if e.get("type") == "ObjectEvent":
                keys |= set(e)
    return keys


def test_the_document_has_the_shape_of_the_gs1_examples(doc, box):
    assert EXAMPLES, "the GS1 examples are missing from ../shared/data/epcis"
    first = json.loads(EXAMPLES[0].read_text())
    assert doc["@context"][0] == first["@context"][0] == EPCIS_CONTEXT
    assert doc["type"] == "EPCISQueryDocument" and doc["schemaVersion"] == first["schemaVersion"] == "2.0"
    datetime.fromisoformat(doc["creationDate"])
    assert doc["epcisBody"]["queryResults"]["queryName"] == "SimpleEventQuery"
    allowed = example_object_event_keys()
    events = events_of(doc)
    steps = {e["bizStep"] for e in events}
    assert {"urn:epcglobal:cbv:bizstep:sensor_reporting"} < steps and len(steps) >= 3  # reads and milestones
    times = [datetime.fromisoformat(e["eventTime"]) for e in events]
    assert times == sorted(times)
    for e in events:
        assert e["type"] == "ObjectEvent" and e["action"] == "OBSERVE"
        assert {k for k in e if not k.startswith("cargotrail:")} <= allowed, set(e) - allowed
        assert datetime.fromisoformat(e["eventTime"]).tzinfo is not None
        assert re.fullmatch(r"[+-]\d\d:\d\d", e["eventTimeZoneOffset"])
        (epc,) = e["epcList"]
        assert re.split(r"[:/.]", epc)[-1] == box and is_valid_container_id(box)
        assert e["eventID"].startswith("urn:uuid:") and len(e["cargotrail:recordID"]) == 32
        assert e["readPoint"]["id"].startswith(("geo:", "urn:"))


def test_business_steps_dispositions_and_sensor_types_are_cbv_vocabulary(doc):
    context = _bundled_context(EPCIS_CONTEXT)["@context"]
    steps, dispositions = context["bizStep"]["@context"], context["disposition"]["@context"]
    reports = context["sensorElementList"]["@context"]["sensorReport"]["@context"]
    types, components = reports["type"]["@context"], reports["component"]["@context"]
    for e in events_of(doc):
        assert e["bizStep"].removeprefix("urn:epcglobal:cbv:bizstep:") in steps, e["bizStep"]
        if "disposition" in e:
            assert e["disposition"].removeprefix("urn:epcglobal:cbv:disp:") in dispositions
        for element in e.get("sensorElementList", []):
            for report in element["sensorReport"]:
                assert report["type"] in types or report["type"].startswith("cargotrail:"), report
                assert report.get("component", "latitude") in components


def leaves(node: Any) -> int:
    """Scalars in our document (the @context aside): each must survive JSON-LD expansion."""
    if isinstance(node, dict):
        return sum(leaves(v) for k, v in node.items() if k != "@context")
    if isinstance(node, list):
        return sum(leaves(v) for v in node)
    return 1


def expanded_leaves(node: Any) -> int:
    if isinstance(node, list):
        return sum(expanded_leaves(v) for v in node)
    if not isinstance(node, dict):
        return 0
    if "@value" in node:
        return 1
    count = 1 if "@id" in node else 0
    count += len(node.get("@type", []))
    return count + sum(expanded_leaves(v) for k, v in node.items() if not k.startswith("@"))


def test_no_term_is_lost_under_the_official_context(doc):
    saved = jsonld.get_document_loader()
    jsonld.set_document_loader(_offline_loader)
    try:
        expanded = jsonld.expand(doc)
    finally:
        jsonld.set_document_loader(saved)
    assert expanded_leaves(expanded) == leaves(doc)  # JSON-LD drops what its context does not define
    text = json.dumps(expanded)
    for iri in (
        "https://ref.gs1.org/epcis/sensorElementList",
        "https://gs1.org/voc/Temperature",
        "https://ref.gs1.org/cbv/Comp-latitude",
        "urn:cargotrail:epcis:recordID",
    ):
        assert iri in text, iri


def test_what_we_emit_our_capture_ingests(served, doc, box):
    parsed = parse_epcis(json.dumps(doc).encode(), registry=DeviceRegistry())
    assert parsed.rejections == []
    sensor_events = [e for e in events_of(doc) if "sensorElementList" in e]
    assert len(parsed.readings) == len(sensor_events) > 10
    stored = {r.ts: r for r in served.store.track(box, 0, 1e12, 300)}
    for got in parsed.readings:
        want = stored[got.ts]
        assert (got.container_id, got.lat, got.lon) == (want.container_id, want.lat, want.lon)
        assert (got.temperature_c, got.humidity_pct, got.speed_kmh) == (
            want.temperature_c,
            want.humidity_pct,
            want.speed_kmh,
        )
        assert got.device_id == f"urn:cargotrail:device:{want.device_id}"


def test_cbv_hashes_agree_with_the_reference_package(served, box, tmp_path):
    r = served.get(f"/v1/containers/{box}/epcis", max_readings=20, cbv_hash="true")
    doc = r.json()
    path = tmp_path / "query.jsonld"
    path.write_text(json.dumps({**doc, "epcisBody": {"eventList": events_of(doc)}}))
    expected, _ = reference.epcis_hash_from_file(str(path))
    assert [e["eventID"] for e in events_of(doc)] == expected and len(expected) > 20


def test_a_time_window_an_unknown_container_and_an_integrator(served, doc, box):
    events = events_of(doc)
    middle = events[len(events) // 2]["eventTime"]
    later = served.get(f"/v1/containers/{box}/epcis", start=middle, max_readings=300).json()
    assert events_of(later) and all(e["eventTime"] >= middle for e in events_of(later))
    assert len(events_of(later)) < len(events)
    assert events_of(served.get("/v1/containers/ZZZU0000000/epcis").json()) == []
    refused = served.get(f"/v1/containers/{box}/epcis", role=Role.INTEGRATOR)
    assert refused.status_code == 403
