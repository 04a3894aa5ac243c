"""The contract: record types, ids and validation shared by every runtime."""

from cargotrail.contract.ids import alert_id, geofence_event_id, reading_id, rfid_id
from cargotrail.contract.iso6346 import is_valid_container_id, make_container_id, validate_container_id
from cargotrail.contract.records import (
    SCHEMA_VERSION,
    Alert,
    AlertKind,
    AnchorReceipt,
    BizStep,
    ContainerClass,
    Explanation,
    GeofenceEvent,
    GeofenceKind,
    LedgerKind,
    Proof,
    Reading,
    Record,
    RfidRead,
    Severity,
    VoyagePlan,
    ZoneType,
)

__all__ = [
    "SCHEMA_VERSION", "Alert", "AlertKind", "AnchorReceipt", "BizStep", "ContainerClass",
    "Explanation", "GeofenceEvent", "GeofenceKind", "LedgerKind", "Proof", "Reading", "Record",
    "RfidRead", "Severity", "VoyagePlan", "ZoneType", "alert_id", "geofence_event_id",
    "is_valid_container_id", "make_container_id", "reading_id", "rfid_id", "validate_container_id",
]
