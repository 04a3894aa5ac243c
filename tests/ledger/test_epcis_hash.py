"""The GS1 CBV 2.0 EPCIS event hash agrees with the reference package on every shipped example."""

from __future__ import annotations

import json
from pathlib import Path

import epcis_event_hash_generator.__main__ as reference
import pytest

from cargotrail.errors import ValidationError
from ledger.core.epcis_hash import EPCIS_CONTEXT, epcis_event_hash, epcis_event_hashes

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "epcis"
FILES = sorted(DATA.glob("*.jsonld"))
# The reference package itself still calls importlib.resources.open_text (deprecated on 3.11).
pytestmark = pytest.mark.filterwarnings("ignore:open_text is deprecated:DeprecationWarning")


def test_examples_are_present() -> None:
    assert len(FILES) >= 30, f"expected the GS1 examples in {DATA}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_agrees_with_reference_package(path: Path) -> None:
    document = json.loads(path.read_text())
    expected, _ = reference.epcis_hash_from_file(str(path))
    events = document["epcisBody"].get("eventList") or [document["epcisBody"]["event"]]
    ours = epcis_event_hashes(document)
    assert ours == expected
    assert len(ours) == len(events)  # the reference drops events it cannot read; we must not
    assert all(h.startswith("ni:///sha-256;") and h.endswith("?ver=CBV2.0") for h in ours)
    context = document.get("@context", EPCIS_CONTEXT)
    assert [epcis_event_hash(e, context) for e in events] == expected  # one event at a time agrees too


def test_does_not_mutate_input_and_is_repeatable() -> None:
    document = json.loads(FILES[0].read_text())
    before = json.dumps(document, sort_keys=True)
    assert epcis_event_hashes(document) == epcis_event_hashes(document)
    assert json.dumps(document, sort_keys=True) == before


def test_changed_event_changes_hash() -> None:
    document = json.loads((DATA / "SensorDataExample1.jsonld").read_text())
    event = document["epcisBody"]["eventList"][0]
    original = epcis_event_hash(event, document["@context"])
    event["eventTime"] = "2019-04-02T15:00:01.000+01:00"
    assert epcis_event_hash(event, document["@context"]) != original


def test_unbundled_context_is_refused_not_fetched() -> None:
    document = json.loads(FILES[0].read_text())
    document["@context"] = ["https://example.invalid/never-fetch-me.jsonld"]
    with pytest.raises(ValidationError):
        epcis_event_hashes(document)


def test_malformed_documents() -> None:
    with pytest.raises(ValidationError, match="epcisBody"):
        epcis_event_hashes({"@context": EPCIS_CONTEXT})
    with pytest.raises(ValidationError):
        epcis_event_hashes({"@context": EPCIS_CONTEXT, "epcisBody": {"eventList": [{"type": 3}]}})
