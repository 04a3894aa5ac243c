"""The GS1 CBV 2.0 EPCIS event hash, so our anchors interoperate with EPCIS systems.

The algorithm (CBV 2.0 §8.9, reference implementation
``epcis-event-hash-generator``) builds a pre-hash string from an event's
fields in a fixed order, with values normalised (timestamps to UTC
milliseconds, EPC URIs to GS1 Digital Link, CBV URNs and bare words to
web vocabulary), and hashes it: ``ni:///sha-256;<hex>?ver=CBV2.0``.

We call the reference implementation rather than re-implement it: its
normalisation rules (JSON-LD expansion of bare CBV words, Digital Link
conversion of every GS1 key) are long and the point of the hash is to agree
with it bit for bit. This module makes it safe to call from a pure core:

- offline: JSON-LD ``@context`` documents are served from the copies the
  package bundles; any other context is refused instead of fetched;
- no silent loss: the package logs and *drops* an event it cannot parse,
  shifting every later hash onto the wrong event; we hash event by event and
  raise ``ValidationError`` naming the event instead;
- no shared state: it keeps module-global namespaces and join string, and
  mutates its input, so calls are serialised, namespaces reset per document
  and the input deep-copied.
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import json
import threading
from collections.abc import Mapping
from typing import Any

from cargotrail.errors import ValidationError

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
#: The @context documents the reference package bundles (URL -> file in the package).
_BUNDLED = {
    EPCIS_CONTEXT: "e532647e8eb371379b8b0e8602d8981c8566bc60f7351f22c76a5bc865962008.jsonld",
    "https://gs1.github.io/EPCIS/epcis-context.jsonld": (
        "14b10c9d3e92d35f577bfc610fe5ec15aa2941124987919389d7cd9998516861.jsonld"
    ),
}
_LOCK = threading.Lock()


@functools.cache
def _bundled_context(url: str) -> Any:
    # Read once through importlib.resources.files (the package's own loader
    # uses open_text, deprecated on 3.11, and re-reads the file every time).
    text = importlib.resources.files("epcis_event_hash_generator").joinpath(_BUNDLED[url]).read_text()
    return json.loads(text)


def _offline_loader(url: str, options: Any = None) -> dict[str, Any]:
    """A pyld document loader that serves bundled contexts and refuses everything else."""
    if url not in _BUNDLED:
        raise ValidationError(f"EPCIS @context {url} is not bundled; refusing to fetch it", field="@context")
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": copy.deepcopy(_bundled_context(url)),
    }


def _events_of(document: Mapping[str, Any]) -> list[Any]:
    body = document.get("epcisBody")
    if not isinstance(body, Mapping):
        raise ValidationError("EPCIS document has no epcisBody", field="epcisBody")
    if "eventList" in body:
        events = body["eventList"]
        if not isinstance(events, list):
            raise ValidationError("eventList is not a list", field="epcisBody.eventList")
        return events
    if "event" in body:
        return [body["event"]]
    raise ValidationError("epcisBody has neither eventList nor event", field="epcisBody")


def epcis_event_hashes(document: Mapping[str, Any]) -> list[str]:
    """The CBV 2.0 hash of every event of an EPCIS 2.0 JSON(-LD) document, in order."""
    from epcis_event_hash_generator import hash_generator, json_to_py
    from pyld import jsonld

    events = _events_of(document)
    context = document.get("@context", EPCIS_CONTEXT)
    hashes: list[str] = []
    with _LOCK:
        saved = jsonld.get_document_loader()
        jsonld.set_document_loader(_offline_loader)
        try:
            for index, event in enumerate(events):
                # One event per call: a failure then names its event instead of
                # silently shifting the hashes of all later events.
                single = {
                    "@context": copy.deepcopy(context),
                    "type": "EPCISDocument",
                    "epcisBody": {"eventList": [copy.deepcopy(event)]},
                }
                name = str(event.get("eventID", f"#{index}")) if isinstance(event, Mapping) else f"#{index}"
                json_to_py._namespaces.clear()
                try:
                    parsed = json_to_py.event_list_from_epcis_document_json(single)
                    prehashes = hash_generator.derive_prehashes_from_events(parsed, "")
                except ValidationError:
                    raise
                except Exception as exc:  # third-party boundary: translate whatever it raises
                    raise ValidationError(f"EPCIS event could not be read: {exc}", record=name) from exc
                if len(prehashes) != 1:
                    raise ValidationError("EPCIS event could not be hashed", record=name)
                hashes.extend(hash_generator.calculate_hashes_from_pre_hashes(prehashes, "sha256"))
        finally:
            jsonld.set_document_loader(saved)
    return hashes


def epcis_event_hash(event: Mapping[str, Any], context: Any = EPCIS_CONTEXT) -> str:
    """The CBV 2.0 hash of one event, read with the given JSON-LD ``@context``."""
    return epcis_event_hashes({"@context": context, "epcisBody": {"eventList": [event]}})[0]
