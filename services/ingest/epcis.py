"""GS1 EPCIS 2.0 JSON(-LD) capture documents -> readings and tracker bindings.

Contract of ``parse_epcis``: one outcome per event (positions are 1-based event numbers), and
the events are applied in document order, so that an association earlier in a document binds
the trackers whose sensor reports follow it.

- ``AssociationEvent`` ADD/DELETE whose ``parentID`` is a container (an ISO 6346 number, or an
  asset the registry knows) binds/unbinds its ``childEPCs`` (tracker devices) to/from it in
  ``registry`` (DELETE without children unbinds every tracker of the container). The changes
  are listed in ``bindings``; the event counts as skipped ("binding applied").
- any other event with ``sensorElementList`` (Object, Aggregation, Transaction, Association):
  each sensor element -> one ``Reading`` (``source="epcis"``) for the container its device is
  bound to, else the first object of the event that is a container. The position comes from
  latitude/longitude reports (WGS84), else a ``geo:`` read point, else the registry's
  ``read_points``. An event with a container reading lacking a position or time is rejected
  whole, none of its readings kept (bind the read point, then replay the dead letter); sensor
  data of objects that are not containers is skipped.
- TransformationEvents, events without sensor data, events carrying an ``errorDeclaration``
  and associations not about a container are skipped, explained.
- a payload that is not JSON, not an EPCIS document or event, or events that are not objects
  or lack a valid ``eventTime`` are rejected.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from cargotrail.contract.records import Reading
from services.ingest.devices import DeviceRegistry
from services.ingest.result import ParseResult, epoch_ms

SOURCE = "epcis"
WGS84 = ("", "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "urn:ogc:def:crs:EPSG::4326")
_SPEED_KMH = {"KMH": 1.0, "MTS": 3.6, "KNT": 1.852}


def _events(doc: Any) -> list[Any] | None:
    if isinstance(doc, list):
        return doc
    if not isinstance(doc, dict):
        return None
    if str(doc.get("type", "")).endswith("Event"):
        return [doc]
    body = doc.get("epcisBody")
    if not isinstance(body, dict):
        return None
    if "queryResults" in body:  # an EPCISQueryDocument
        body = (body.get("queryResults") or {}).get("resultsBody") or {}
    events = body.get("eventList", [body["event"]] if "event" in body else None)
    return events if isinstance(events, list) else None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        return None
    return ts if ts.tzinfo is not None else None


def _geo(uri: object) -> tuple[float, float] | None:
    """The position of an RFC 5870 ``geo:lat,lon`` URI."""
    if not isinstance(uri, str) or not uri.startswith("geo:"):
        return None
    try:
        lat, lon = (float(v) for v in uri[4:].split(";", 1)[0].split(",")[:2])
    except ValueError:
        return None
    return (lat, lon) if math.isfinite(lat) and math.isfinite(lon) else None


def _number(report: dict[str, Any]) -> float | None:
    value = report.get("value")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _epcs(event: dict[str, Any]) -> list[str]:
    ids = [event.get("parentID"), *(event.get("epcList") or []), *(event.get("childEPCs") or [])]
    return [i for i in ids if isinstance(i, str)]


class _Parser:
    def __init__(self, registry: DeviceRegistry) -> None:
        self.registry = registry
        self.out = ParseResult()

    def event(self, n: int, event: Any) -> None:
        if not isinstance(event, dict):
            self.out.reject(SOURCE, n, "event is not a JSON object", json.dumps(event))
            return
        raw = json.dumps(event)
        kind = str(event.get("type", ""))
        record = str(event.get("eventID") or f"event#{n}")
        when = _time(event.get("eventTime"))
        if when is None:
            reason = f"eventTime {event.get('eventTime')!r} is not an RFC 3339 time with a zone offset"
            self.out.reject(SOURCE, n, reason, raw, record=record, field="eventTime")
        elif "errorDeclaration" in event:
            self.out.skip(
                SOURCE, n, f"{kind} carries an errorDeclaration: declared wrong, not applied", record=record
            )
        elif kind == "TransformationEvent":
            self.out.skip(
                SOURCE, n, "TransformationEvent (goods transformed): no container telemetry", record=record
            )
        elif kind == "AssociationEvent" and not event.get("sensorElementList"):
            self.associate(n, event, record)
        elif not isinstance(event.get("sensorElementList"), list) or not event["sensorElementList"]:
            self.out.skip(
                SOURCE, n, f"{kind or 'event'} has no sensorElementList: no telemetry", record=record
            )
        else:
            if kind == "AssociationEvent":
                self.associate(n, event, record, count=False)
            self.sensors(n, event, record, when, raw)

    def associate(self, n: int, event: dict[str, Any], record: str, *, count: bool = True) -> None:
        parent = event.get("parentID")
        container = self.registry.container_of(parent) if isinstance(parent, str) else None
        action = event.get("action")
        children = [c for c in event.get("childEPCs") or [] if isinstance(c, str)]
        if container is None or action not in ("ADD", "DELETE"):
            reason = f"association ({action}) of {parent!r} is not about a known container: not applied"
        elif action == "ADD":
            for child in children:
                self.registry.bindings[child] = container
                self.out.bindings.append((child, container))
            reason = f"bound {len(children)} tracker(s) to container {container}"
        else:
            bound = [
                d
                for d, c in self.registry.bindings.items()
                if c == container and (d in children or not children)
            ]
            for child in bound:
                del self.registry.bindings[child]
                self.out.bindings.append((child, None))
            reason = f"unbound {len(bound)} tracker(s) from container {container}"
        if count:
            self.out.skip(SOURCE, n, reason, record=record)

    def sensors(self, n: int, event: dict[str, Any], record: str, when: datetime, raw: str) -> None:
        objects = [c for c in map(self.registry.container_of, _epcs(event)) if c is not None]
        read_point = (
            (event.get("readPoint") or {}).get("id") if isinstance(event.get("readPoint"), dict) else None
        )
        fallback = _geo(read_point) or self.registry.read_points.get(str(read_point))
        made: list[Reading] = []
        missing: list[str] = []
        for element in event["sensorElementList"]:
            if not isinstance(element, dict):
                missing.append("sensor element object")
                continue
            meta: dict[str, Any] = (
                element["sensorMetadata"] if isinstance(element.get("sensorMetadata"), dict) else {}
            )
            reports = [r for r in element.get("sensorReport") or [] if isinstance(r, dict)]
            device = meta.get("deviceID")
            bound = self.registry.bindings.get(device) if isinstance(device, str) else None
            container = bound or (objects[0] if objects else None)
            if container is None:
                continue
            ts = _time(meta["time"]) if "time" in meta else when
            values = self.values(reports)
            position = values.pop("position", None) or fallback
            if ts is None or position is None:
                missing.append("time" if ts is None else "position")
                continue
            made.append(
                Reading(
                    device_id=device if isinstance(device, str) else f"epcis:{container}",
                    container_id=container,
                    seq=epoch_ms(ts),
                    ts=ts,
                    lat=position[0],
                    lon=position[1],
                    source=SOURCE,
                    **values,
                )
            )
        if missing:  # one outcome per event: rejected whole, so that its replay gives every reading
            what = "/".join(sorted(set(missing)))
            reason = (
                f"{len(missing)} sensor element(s) of a container have no usable {what} (positions: WGS84 "
                f"latitude/longitude reports, else read point {read_point!r} must have a known location)"
            )
            self.out.reject(SOURCE, n, reason, raw, record=record, field="sensorElementList")
        elif made:
            self.out.readings.extend(made)
        else:
            reason = f"sensor data of {_epcs(event) or read_point}: no container or bound tracker among them"
            self.out.skip(SOURCE, n, reason, record=record)

    @staticmethod
    def values(reports: list[dict[str, Any]]) -> dict[str, Any]:
        """The contract fields of one sensor element's reports (unknown report types are ignored)."""
        out: dict[str, Any] = {}
        lat = lon = None
        for report in reports:
            value, kind, uom = _number(report), report.get("type"), report.get("uom")
            if value is None or not math.isfinite(value):
                continue
            crs = report.get("coordinateReferenceSystem", "")
            if report.get("component") == "latitude" and crs in WGS84:
                lat = value
            elif report.get("component") == "longitude" and crs in WGS84:
                lon = value
            elif kind == "Temperature":
                out["temperature_c"] = {"FAH": (value - 32) * 5 / 9, "KEL": value - 273.15}.get(
                    str(uom), value
                )
            elif kind == "RelativeHumidity":
                out["humidity_pct"] = value
            elif kind == "Speed" and uom in _SPEED_KMH and not report.get("component"):
                out["speed_kmh"] = value * _SPEED_KMH[str(uom)]
        if lat is not None and lon is not None:
            out["position"] = (lat, lon)
        return out


def parse_epcis(payload: bytes, *, registry: DeviceRegistry) -> ParseResult:
    """Parse one EPCIS 2.0 document, event or list of events (see the module docstring)."""
    parser = _Parser(registry)
    try:
        doc = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        parser.out.reject(SOURCE, 0, f"not JSON: {exc}", payload.decode(errors="replace"), record="#document")
        return parser.out
    events = _events(doc)
    if events is None:
        reason = "not an EPCIS 2.0 document (no epcisBody.eventList), event or list of events"
        parser.out.reject(SOURCE, 0, reason, payload.decode(errors="replace"), record="#document")
        return parser.out
    for n, event in enumerate(events, start=1):
        try:
            parser.event(n, event)
        except Exception as exc:  # a shape no rule above foresaw: one event is lost to the DLQ, not the file
            parser.out.reject(SOURCE, n, f"event does not parse: {exc!r}", json.dumps(event, default=str))
    return parser.out
