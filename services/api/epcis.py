"""A container's history as a GS1 EPCIS 2.0 query document (JSON-LD), pure.

``query_document`` builds an ``EPCISQueryDocument`` whose ``queryResults.resultsBody.eventList``
holds one ``ObjectEvent`` (action ``OBSERVE``) per record, oldest first:

- an RFID read: ``bizStep`` its CBV business step, a ``disposition`` where the step implies one
  (gate out and loading: ``in_transit``; gate in, discharge, storage: ``in_progress``), ``readPoint``
  the reader and ``bizLocation`` the read point;
- a geofence event (a milestone cargotrail inferred from positions): enter ``arriving``, exit
  ``departing``, overstay ``holding``, passed through ``transporting``; ``readPoint`` the fix as a
  ``geo:`` URI, ``bizLocation`` the zone;
- a tracker reading: ``bizStep`` ``sensor_reporting``, ``readPoint`` the fix, and one
  ``sensorElementList`` element: position (``Angle`` latitude/longitude in decimal degrees, WGS84),
  ``Temperature`` (CEL), ``RelativeHumidity`` (P1, percent), ``Speed`` (KMH), shock as
  ``Acceleration`` (MSK, m/s²), and door and battery as cargotrail measurement types.

``bizStep`` and ``disposition`` are CBV URNs. The container is named in ``epcList`` by its RFID
tag's EPC (a GS1 GIAI) when it has one, else by ``urn:bic:<ISO 6346 number>`` (BIC codes are not GS1
keys); either way its last segment is the container number, as our capture parser expects. Times are
UTC (``eventTimeZoneOffset`` ``+00:00``). Every event carries ``cargotrail:recordID``, the id whose
Merkle proof ``/v1/proofs/{id}`` serves; ``eventID`` is a UUID URN derived from it (stable across
queries), or the CBV 2.0 event hash when asked (``with_hashes``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from cargotrail.contract.records import BizStep, GeofenceEvent, GeofenceKind, Reading, RfidRead
from ledger.core.epcis_hash import EPCIS_CONTEXT, epcis_event_hashes
from ledger.core.proofs import record_id

NAMESPACE = "urn:cargotrail:epcis:"  # our extension fields and measurement types
CONTEXT: list[Any] = [EPCIS_CONTEXT, {"cargotrail": NAMESPACE}]
WGS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
G = 9.80665  # m/s² per standard gravity
_IDS = uuid.UUID("0b6f3f0e-5c1a-4d4e-9f7b-3c2d1e0a9b88")
BIZSTEP = "urn:epcglobal:cbv:bizstep:"
DISP = "urn:epcglobal:cbv:disp:"

_RFID_DISPOSITION = {
    BizStep.ARRIVING: "in_progress",
    BizStep.DEPARTING: "in_transit",
    BizStep.LOADING: "in_transit",
    BizStep.UNLOADING: "in_progress",
    BizStep.STORING: "in_progress",
}
_GEOFENCE_STEP = {
    GeofenceKind.ENTER: ("arriving", "in_progress"),
    GeofenceKind.EXIT: ("departing", "in_transit"),
    GeofenceKind.DWELL_EXCEEDED: ("holding", "in_progress"),
    GeofenceKind.CROSSED: ("transporting", "in_transit"),
}


def epcis_time(ts: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, as the GS1 examples write it."""
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def geo_uri(lat: float, lon: float) -> str:
    return f"geo:{lat:.6f},{lon:.6f}"


def container_epc(container_id: str, reads: list[RfidRead]) -> str:
    """The container's EPC: its tag's (the latest read), else its BIC code as a URN."""
    tags = [r.tag_epc for r in reads if r.tag_epc]
    return tags[-1] if tags else f"urn:bic:{container_id}"


def _event(rid: str, ts: datetime, epc: str, step: str, disposition: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventID": f"urn:uuid:{uuid.uuid5(_IDS, rid)}",
        "eventTime": epcis_time(ts),
        "eventTimeZoneOffset": "+00:00",
        "epcList": [epc],
        "action": "OBSERVE",
        "bizStep": BIZSTEP + step,
    }
    if disposition is not None:
        out["disposition"] = DISP + disposition
    return out


def rfid_event(read: RfidRead, epc: str) -> dict[str, Any]:
    out = _event(record_id(read), read.ts, epc, read.biz_step.value, _RFID_DISPOSITION.get(read.biz_step))
    out["readPoint"] = {"id": f"urn:cargotrail:reader:{read.reader_id}"}
    out["bizLocation"] = {"id": f"urn:cargotrail:place:{read.read_point}"}
    out["cargotrail:recordID"] = record_id(read)
    return out


def geofence_event(event: GeofenceEvent, epc: str) -> dict[str, Any]:
    step, disposition = _GEOFENCE_STEP[event.kind]
    out = _event(event.event_id, event.ts, epc, step, disposition)
    out["readPoint"] = {"id": geo_uri(event.lat, event.lon)}
    out["bizLocation"] = {"id": f"urn:cargotrail:zone:{event.zone_id}"}
    out["cargotrail:recordID"] = event.event_id
    out["cargotrail:geofence"] = event.kind.value
    return out


def sensor_reports(r: Reading) -> list[dict[str, Any]]:
    """The reading's sensor values as EPCIS 2.0 sensor reports (absent sensors are left out)."""
    reports: list[dict[str, Any]] = [
        {"type": "Angle", "component": axis, "value": value, "uom": "DD", "coordinateReferenceSystem": WGS84}
        for axis, value in (("latitude", r.lat), ("longitude", r.lon))
    ]
    if r.temperature_c is not None:
        reports.append({"type": "Temperature", "value": r.temperature_c, "uom": "CEL"})
    if r.humidity_pct is not None:
        reports.append({"type": "RelativeHumidity", "value": r.humidity_pct, "uom": "P1"})
    if r.speed_kmh is not None:
        reports.append({"type": "Speed", "value": r.speed_kmh, "uom": "KMH"})
    if r.shock_g is not None:
        reports.append({"type": "Acceleration", "value": round(r.shock_g * G, 6), "uom": "MSK"})
    if r.door_open is not None:
        reports.append({"type": "cargotrail:DoorOpen", "booleanValue": r.door_open})
    if r.battery_pct is not None:
        reports.append({"type": "cargotrail:BatteryLevel", "value": r.battery_pct, "uom": "P1"})
    return reports


def reading_event(r: Reading, epc: str) -> dict[str, Any]:
    rid = record_id(r)
    out = _event(rid, r.ts, epc, "sensor_reporting", None)
    out["readPoint"] = {"id": geo_uri(r.lat, r.lon)}
    meta = {"time": epcis_time(r.ts), "deviceID": f"urn:cargotrail:device:{r.device_id}"}
    out["sensorElementList"] = [{"sensorMetadata": meta, "sensorReport": sensor_reports(r)}]
    out["cargotrail:recordID"] = rid
    return out


def query_document(
    container_id: str,
    readings: list[Reading],
    reads: list[RfidRead],
    events: list[GeofenceEvent],
    *,
    created: datetime,
    with_hashes: bool = False,
) -> dict[str, Any]:
    """The container's EPCIS 2.0 query document (see the module docstring)."""
    epc = container_epc(container_id, reads)
    timed = [(r.ts, 0, rfid_event(r, epc)) for r in reads]
    timed += [(e.ts, 1, geofence_event(e, epc)) for e in events]
    timed += [(r.ts, 2, reading_event(r, epc)) for r in readings]
    timed.sort(key=lambda t: (t[0], t[1], t[2]["eventID"]))
    event_list = [e for _, _, e in timed]
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": epcis_time(created),
        "epcisBody": {
            "queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": event_list}}
        },
    }
    if with_hashes and event_list:
        hashes = epcis_event_hashes({"@context": CONTEXT, "epcisBody": {"eventList": event_list}})
        for event, digest in zip(event_list, hashes, strict=True):
            event["eventID"] = digest
    return doc
