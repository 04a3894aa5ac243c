"""The API's response and request bodies: pydantic mirrors of the contract records (same field names).

Contract records are msgspec Structs (``cargotrail.contract.records``, ``store.base``); ``from_struct``
turns one into its mirror through its JSON-able form, so the wire shape is the contract's shape.
Times are RFC 3339 UTC strings, except the store's ``Position.ts`` and triage times (epoch seconds).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal, TypeVar

import msgspec
from pydantic import BaseModel, Field

from cargotrail.contract.records import (
    AlertKind,
    BizStep,
    GeofenceKind,
    LedgerKind,
    Severity,
    ZoneType,
)
from store.base import AlertStatus

M = TypeVar("M", bound=BaseModel)


def from_struct(model: type[M], obj: msgspec.Struct) -> M:
    return model.model_validate(msgspec.to_builtins(obj))


def from_structs(model: type[M], objs: Iterable[msgspec.Struct]) -> list[M]:
    return [from_struct(model, o) for o in objs]


class PositionOut(BaseModel):
    container_id: str
    device_id: str
    reading_id: str
    ts: float = Field(description="epoch seconds (UTC) of the fix")
    lat: float
    lon: float
    speed_kmh: float | None = None
    temperature_c: float | None = None


class ReadingOut(BaseModel):
    type: Literal["reading"] = "reading"
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


class RfidReadOut(BaseModel):
    type: Literal["rfid"] = "rfid"
    tag_epc: str
    container_id: str
    reader_id: str
    read_point: str
    biz_step: BizStep
    ts: datetime
    source: str = "simulator"


class GeofenceEventOut(BaseModel):
    type: Literal["geofence"] = "geofence"
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


class ExplanationOut(BaseModel):
    rule: str
    summary: str
    threshold: dict[str, float | str] = {}
    observed: dict[str, float | str] = {}
    evidence: list[str] = []


class AlertOut(BaseModel):
    type: Literal["alert"] = "alert"
    alert_id: str
    kind: AlertKind
    severity: Severity
    container_id: str
    device_id: str
    ts: datetime
    lat: float | None
    lon: float | None
    explanation: ExplanationOut


class AlertRowOut(BaseModel):
    alert: AlertOut
    status: AlertStatus
    assignee: str | None = None
    updated_ts: float | None = Field(default=None, description="epoch seconds of the last triage action")


class TriageEntryOut(BaseModel):
    alert_id: str
    ts: float = Field(description="epoch seconds (UTC)")
    action: str
    operator: str
    note: str = ""


class ProofOut(BaseModel):
    type: Literal["proof"] = "proof"
    record_id: str
    batch_id: str
    leaf_hash: str
    leaf_index: int
    tree_size: int
    path: list[str]


class AnchorOut(BaseModel):
    type: Literal["anchor"] = "anchor"
    batch_id: str
    stream: str
    root: str
    size: int
    first_ts: datetime
    last_ts: datetime
    prev_root: str
    ledger: LedgerKind
    tx_id: str
    block: int | None = None


class RecordCheckOut(BaseModel):
    """``cargotrail.audit.RecordCheck``: the verdict on one record against the ledger."""

    record_id: str
    kind: str = ""
    batch_id: str = ""
    ok: bool = False
    problem: str = ""
    expected: str = ""
    found: str = ""


class ProofView(BaseModel):
    proof: ProofOut
    anchor: AnchorOut | None = Field(description="the batch's receipt as the store holds it")


class TriageRequest(BaseModel):
    note: str = Field(default="", max_length=2000)


class AssignRequest(TriageRequest):
    assignee: str = Field(min_length=1, max_length=200, pattern=r"\S")


class ErrorOut(BaseModel):
    detail: str = Field(description="why the request was refused or failed")


class Health(BaseModel):
    status: Literal["ok"] = "ok"
