"""DCSA Track & Trace 3.0 style equipment events for one container, from its RFID reads and geofence events.

Mapping (``equipmentEventTypeCode``):

- RFID at a terminal gate: ``arriving`` -> GTIN (gate in), ``departing`` -> GTOT (gate out);
- RFID at a crane: ``loading`` -> LOAD, ``unloading`` -> DISC; customs scan ``inspecting`` -> INSP;
- a geofence ``enter``/``exit`` of a terminal zone -> GTIN/GTOT, unless an RFID read at the same port
  within ``DEDUP_WINDOW_S`` already explains the crossing (GTIN or DISC for an entry, GTOT or LOAD for
  an exit: the reader is the better witness, and a zone entered from the ship is a discharge).

Other reads (``storing``) and zones (ports, corridors, depots) have no equipment event code and are left
out. The UN/LOCODE is the port part of the read point or zone id (``terminal:NLRTM:T1``,
``customs:NLRTM``). Events are actual (``ACT``), ``LADEN``, ordered by time; each carries the id of the
cargotrail record it came from (``cargotrailRecordID``), whose proof ``/v1/proofs/{id}`` serves.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from cargotrail.contract.records import BizStep, GeofenceEvent, GeofenceKind, RfidRead, ZoneType
from ledger.core.proofs import record_id

DEDUP_WINDOW_S = 6 * 3600.0
_NAMESPACE = uuid.UUID("5f0c6c2e-9a59-4c38-9d0e-2f1d8e3b7a10")
_LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
EquipmentCode = Literal["GTIN", "GTOT", "LOAD", "DISC", "INSP"]

_RFID_CODES: dict[BizStep, EquipmentCode] = {
    BizStep.ARRIVING: "GTIN",
    BizStep.DEPARTING: "GTOT",
    BizStep.LOADING: "LOAD",
    BizStep.UNLOADING: "DISC",
    BizStep.INSPECTING: "INSP",
}
# A terminal zone is entered through the gate (GTIN) or from the ship (DISC), left through the gate
# (GTOT) or onto the ship (LOAD): a read of either explains the geofence crossing.
_SAME_CROSSING: dict[EquipmentCode, tuple[EquipmentCode, ...]] = {
    "GTIN": ("GTIN", "DISC"),
    "GTOT": ("GTOT", "LOAD"),
}
_GEOFENCE_CODES: dict[GeofenceKind, EquipmentCode] = {GeofenceKind.ENTER: "GTIN", GeofenceKind.EXIT: "GTOT"}


class EventLocation(BaseModel):
    locationName: str
    UNLocationCode: str | None = None
    facilityTypeCode: str | None = Field(default=None, description="POTE: port terminal")


class EquipmentEvent(BaseModel):
    eventID: str
    eventType: Literal["EQUIPMENT"] = "EQUIPMENT"
    eventClassifierCode: Literal["ACT"] = "ACT"
    eventDateTime: datetime
    eventCreatedDateTime: datetime
    equipmentEventTypeCode: EquipmentCode
    equipmentReference: str = Field(description="the ISO 6346 container number")
    emptyIndicatorCode: Literal["LADEN", "EMPTY"] = "LADEN"
    eventLocation: EventLocation
    cargotrailRecordID: str
    cargotrailSource: Literal["rfid", "geofence"]


def locode_of(place: str) -> str | None:
    """The UN/LOCODE in ``terminal:<LOCODE>:T1``-style ids, or None."""
    parts = place.split(":")
    return parts[1] if len(parts) >= 2 and _LOCODE.match(parts[1]) else None


def _event(
    rid: str,
    code: EquipmentCode,
    container: str,
    ts: datetime,
    place: str,
    source: Literal["rfid", "geofence"],
) -> EquipmentEvent:
    terminal = place.startswith("terminal:")
    return EquipmentEvent(
        eventID=str(uuid.uuid5(_NAMESPACE, rid)),
        eventDateTime=ts,
        eventCreatedDateTime=ts,
        equipmentEventTypeCode=code,
        equipmentReference=container,
        eventLocation=EventLocation(
            locationName=place, UNLocationCode=locode_of(place), facilityTypeCode="POTE" if terminal else None
        ),
        cargotrailRecordID=rid,
        cargotrailSource=source,
    )


def equipment_events(reads: list[RfidRead], geofence: list[GeofenceEvent]) -> list[EquipmentEvent]:
    """The container's DCSA equipment events (see the module docstring), oldest first."""
    out = [
        _event(record_id(r), _RFID_CODES[r.biz_step], r.container_id, r.ts, r.read_point, "rfid")
        for r in reads
        if r.biz_step in _RFID_CODES
    ]
    witnessed = [(e.equipmentEventTypeCode, e.eventLocation.UNLocationCode, e.eventDateTime) for e in out]
    for g in geofence:
        if g.zone_type is not ZoneType.TERMINAL or g.kind not in _GEOFENCE_CODES:
            continue
        code, locode = _GEOFENCE_CODES[g.kind], locode_of(g.zone_id)
        if any(
            c in _SAME_CROSSING[code] and lc == locode and abs((t - g.ts).total_seconds()) <= DEDUP_WINDOW_S
            for c, lc, t in witnessed
        ):
            continue
        out.append(_event(g.event_id, code, g.container_id, g.ts, g.zone_id, "geofence"))
    out.sort(key=lambda e: (e.eventDateTime, e.eventID))
    return out
