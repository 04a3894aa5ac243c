"""The versioned record types every runtime exchanges.

msgspec Structs are the hot-path schema (see ``bench/bench_codec.py``: they
decode several times faster than pydantic models). Each type carries a tag
(``type``) so that a mixed stream decodes into the right class, and
``SCHEMA_VERSION`` travels beside the records (a Kafka header, a JSON field of
the envelope, a store column).

Timestamps are timezone-aware UTC ``datetime`` objects on the wire (RFC 3339
strings in JSON). Ids are deterministic: see ``cargotrail.contract.ids``.
"""

from __future__ import annotations

import enum
from datetime import datetime

import msgspec

SCHEMA_VERSION = 1


class _Record(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", omit_defaults=True):
    """Common base: immutable, keyword-only, tagged by ``type``."""


class Reading(_Record, tag="reading", frozen=True):
    """One fix from a container tracker: position plus whatever sensors it has."""

    device_id: str
    container_id: str
    seq: int
    ts: datetime
    lat: float
    lon: float
    speed_kmh: float | None = None
    heading: float | None = None
    hdop: float | None = None
    temperature_c: float | None = None
    humidity_pct: float | None = None
    shock_g: float | None = None
    door_open: bool | None = None
    battery_pct: float | None = None
    source: str = "simulator"


class BizStep(enum.StrEnum):
    """GS1 CBV 2.0 business steps seen at port read points."""

    ARRIVING = "arriving"
    DEPARTING = "departing"
    LOADING = "loading"
    UNLOADING = "unloading"
    INSPECTING = "inspecting"
    STORING = "storing"


class RfidRead(_Record, tag="rfid", frozen=True):
    """One RFID tag read at a read point (terminal gate, crane, warehouse door)."""

    tag_epc: str
    container_id: str
    reader_id: str
    read_point: str
    biz_step: BizStep
    ts: datetime
    source: str = "simulator"


class GeofenceKind(enum.StrEnum):
    ENTER = "enter"
    EXIT = "exit"
    DWELL_EXCEEDED = "dwell_exceeded"
    CROSSED = "crossed"


class ZoneType(enum.StrEnum):
    """What a geofence stands for, in a port operator's words."""

    PORT = "port"
    TERMINAL = "terminal"
    CUSTOMS = "customs"  # customs / bonded area
    DEPOT = "depot"  # inland depot or warehouse
    RESTRICTED = "restricted"
    CORRIDOR = "corridor"  # planned route corridor


class GeofenceEvent(_Record, tag="geofence", frozen=True):
    """A container entered, left, overstayed in or passed through a zone."""

    event_id: str
    kind: GeofenceKind
    container_id: str
    device_id: str
    zone_id: str
    zone_type: ZoneType
    ts: datetime
    lat: float
    lon: float
    reading_id: str
    dwell_s: float | None = None


class AlertKind(enum.StrEnum):
    """The anomaly kinds a control room triages (and the simulator injects)."""

    ROUTE_DEVIATION = "route_deviation"
    UNSCHEDULED_STOP = "unscheduled_stop"
    DOOR_OPEN_OUTSIDE_ZONE = "door_open_outside_zone"
    TEMPERATURE_EXCURSION = "temperature_excursion"
    SHOCK = "shock"
    GPS_JUMP = "gps_jump"
    SIGNAL_LOSS = "signal_loss"
    RESTRICTED_ZONE_ENTRY = "restricted_zone_entry"


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Explanation(msgspec.Struct, frozen=True, kw_only=True):
    """Why an alert fired: no black boxes.

    ``rule`` names the rule, ``threshold`` its limits, ``observed`` the values
    that broke them, ``evidence`` the ids of the readings that show it, and
    ``summary`` says all of it in one sentence for the control room.
    """

    rule: str
    summary: str
    threshold: dict[str, float | str] = {}
    observed: dict[str, float | str] = {}
    evidence: list[str] = []


class Alert(_Record, tag="alert", frozen=True):
    """An anomaly a human must look at, with its explanation."""

    alert_id: str
    kind: AlertKind
    severity: Severity
    container_id: str
    device_id: str
    ts: datetime
    lat: float | None
    lon: float | None
    explanation: Explanation


class LedgerKind(enum.StrEnum):
    LOCAL = "local"
    FABRIC = "fabric"


class AnchorReceipt(_Record, tag="anchor", frozen=True):
    """A Merkle batch anchored on a ledger."""

    batch_id: str
    stream: str
    root: str  # hex SHA-256
    size: int
    first_ts: datetime
    last_ts: datetime
    prev_root: str
    ledger: LedgerKind
    tx_id: str
    block: int | None = None


class Proof(_Record, tag="proof", frozen=True):
    """Enough to verify one record against one anchored root (RFC 9162 path)."""

    record_id: str
    batch_id: str
    leaf_hash: str
    leaf_index: int
    tree_size: int
    path: list[str]


class ContainerClass(enum.StrEnum):
    """Thresholds are configured per class (see ``cargotrail.settings``)."""

    DRY = "dry"
    REEFER = "reefer"
    TANK = "tank"
    HAZARDOUS = "hazardous"


class VoyagePlan(_Record, tag="plan", frozen=True):
    """The booked route of a container: the corridor it should stay in.

    Comes from the carrier's booking (the simulator makes one per voyage).
    ``corridor_zone_ids`` are the route-corridor zones of the planned legs;
    the origin and destination are UN/LOCODEs.
    """

    container_id: str
    origin: str
    destination: str
    corridor_zone_ids: list[str]
    container_class: ContainerClass = ContainerClass.DRY
    temp_min_c: float | None = None
    temp_max_c: float | None = None
    report_interval_s: float = 900.0


Record = Reading | RfidRead | GeofenceEvent | Alert | AnchorReceipt | Proof | VoyagePlan
