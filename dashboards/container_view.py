"""What the Container page shows: track, DCSA milestones, zone visits, temperature (no Streamlit here)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pandas as pd
from stdnum import iso6346
from stdnum.exceptions import ValidationError

from cargotrail.contract.records import (
    BizStep,
    GeofenceEvent,
    GeofenceKind,
    Reading,
    RfidRead,
    VoyagePlan,
    ZoneType,
)
from dashboards.records import decode
from ledger.core.proofs import record_id
from store.base import StoredRecord

# DCSA Track & Trace equipment event codes, the same mapping as the API's (services/api/dcsa.py).
RFID_CODES = {
    BizStep.ARRIVING: "GTIN",
    BizStep.DEPARTING: "GTOT",
    BizStep.LOADING: "LOAD",
    BizStep.UNLOADING: "DISC",
    BizStep.INSPECTING: "INSP",
}
GEOFENCE_CODES = {GeofenceKind.ENTER: "GTIN", GeofenceKind.EXIT: "GTOT"}
SAME_CROSSING = {"GTIN": ("GTIN", "DISC"), "GTOT": ("GTOT", "LOAD")}
DEDUP_WINDOW_S = 6 * 3600.0
_LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
MILESTONE_COLUMNS = ["time (UTC)", "code", "location", "UN/LOCODE", "source", "record_id"]


def container_number(text: str) -> str | None:
    """The ISO 6346 number in ``text`` (spaces and case forgiven), or None when it is not valid."""
    try:
        return str(iso6346.validate(text.strip()))
    except ValidationError:
        return None


def _utc(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def locode_of(place: str) -> str | None:
    parts = place.split(":")
    return parts[1] if len(parts) >= 2 and _LOCODE.match(parts[1]) else None


def milestones(reads: list[RfidRead], events: list[GeofenceEvent]) -> pd.DataFrame:
    """DCSA equipment events, oldest first: RFID reads, then terminal crossings no read explains."""
    out: list[tuple[datetime, str, str, str]] = [
        (r.ts, RFID_CODES[r.biz_step], r.read_point, "rfid") for r in reads if r.biz_step in RFID_CODES
    ]
    ids = [record_id(r) for r in reads if r.biz_step in RFID_CODES]
    witnessed = [(code, locode_of(place), ts) for ts, code, place, _ in out]
    for g in events:
        if g.zone_type is not ZoneType.TERMINAL or g.kind not in GEOFENCE_CODES:
            continue
        code, locode = GEOFENCE_CODES[g.kind], locode_of(g.zone_id)
        if any(
            c in SAME_CROSSING[code] and lc == locode and abs((t - g.ts).total_seconds()) <= DEDUP_WINDOW_S
            for c, lc, t in witnessed
        ):
            continue
        out.append((g.ts, code, g.zone_id, "geofence"))
        ids.append(g.event_id)
    rows = [
        {
            "time (UTC)": _utc(ts),
            "code": code,
            "location": place,
            "UN/LOCODE": locode_of(place) or "",
            "source": source,
            "record_id": rid,
        }
        for (ts, code, place, source), rid in sorted(
            zip(out, ids, strict=True), key=lambda p: (p[0][0], p[1])
        )
    ]
    return pd.DataFrame(rows, columns=MILESTONE_COLUMNS)


def visits(events: list[GeofenceEvent]) -> pd.DataFrame:
    """Zone visits: each entry paired with the next exit of the same zone (open visits have no exit)."""
    rows: list[dict[str, object]] = []
    inside: dict[str, int] = {}
    for g in sorted(events, key=lambda e: e.ts):
        if g.kind is GeofenceKind.ENTER:
            inside[g.zone_id] = len(rows)
            rows.append(
                {
                    "zone": g.zone_id,
                    "type": g.zone_type.value,
                    "entered": _utc(g.ts),
                    "exited": "",
                    "hours": None,
                }
            )
        elif g.kind is GeofenceKind.EXIT and g.zone_id in inside:
            row = rows[inside.pop(g.zone_id)]
            row["exited"] = _utc(g.ts)
            entered = datetime.strptime(str(row["entered"]), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
            row["hours"] = round((g.ts - entered).total_seconds() / 3600, 1)
    return pd.DataFrame(rows, columns=["zone", "type", "entered", "exited", "hours"])


def track_frame(readings: list[Reading]) -> pd.DataFrame:
    rows = [
        {
            "time": r.ts.astimezone(UTC).replace(tzinfo=None),
            "lat": r.lat,
            "lon": r.lon,
            "speed_kmh": r.speed_kmh,
        }
        for r in readings
    ]
    return pd.DataFrame(rows, columns=["time", "lat", "lon", "speed_kmh"])


def track_path(frame: pd.DataFrame) -> list[dict[str, object]]:
    """One pydeck PathLayer row: the track as [lon, lat] pairs."""
    if frame.empty:
        return []
    return [{"path": [[float(x), float(y)] for x, y in zip(frame["lon"], frame["lat"], strict=True)]}]


def temperature_band(plans: list[VoyagePlan]) -> tuple[float | None, float | None]:
    """The allowed band of the newest plan that sets one, else (None, None)."""
    for p in reversed(plans):
        if p.temp_min_c is not None or p.temp_max_c is not None:
            return p.temp_min_c, p.temp_max_c
    return None, None


def temperature_frame(readings: list[Reading], band: tuple[float | None, float | None]) -> pd.DataFrame:
    """Long form (time, series, °C) for a line chart: the readings and the band's limits."""
    low, high = band
    rows: list[dict[str, object]] = []
    for r in readings:
        if r.temperature_c is None:
            continue
        t = r.ts.astimezone(UTC).replace(tzinfo=None)
        rows.append({"time": t, "series": "temperature", "°C": r.temperature_c})
        if low is not None:
            rows.append({"time": t, "series": "band min", "°C": low})
        if high is not None:
            rows.append({"time": t, "series": "band max", "°C": high})
    return pd.DataFrame(rows, columns=["time", "series", "°C"])


def records_frame(records: list[StoredRecord]) -> pd.DataFrame:
    """The container's anchored records, as stored, with the time each carries."""
    rows = []
    for r in records:
        shown = decode(r)
        rows.append(
            {"record_id": r.record_id, "kind": r.kind, "time (UTC)": _utc(shown.ts) if shown else "?"}
        )
    return pd.DataFrame(rows, columns=["record_id", "kind", "time (UTC)"])
