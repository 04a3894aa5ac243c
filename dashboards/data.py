"""What the control tower shows, computed from the store (no Streamlit here, so it is unit-tested)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pandas as pd

from store.base import AlertRow, AlertStatus, Position

STATUS_COLOURS = {  # RGBA for the map
    "critical": [200, 30, 45, 230],
    "high": [235, 110, 20, 220],
    "medium": [240, 190, 30, 210],
    "low": [120, 170, 220, 200],
    "ok": [40, 160, 90, 190],
}
SEVERITY_ORDER = ["critical", "high", "medium", "low"]


def worst_open_severity(alerts: Iterable[AlertRow]) -> dict[str, str]:
    """Container -> severity of its worst unresolved alert."""
    worst: dict[str, str] = {}
    for row in alerts:
        if row.status is AlertStatus.RESOLVED:
            continue
        c, sev = row.alert.container_id, row.alert.severity.value
        if c not in worst or SEVERITY_ORDER.index(sev) < SEVERITY_ORDER.index(worst[c]):
            worst[c] = sev
    return worst


def positions_frame(positions: list[Position], worst: dict[str, str]) -> pd.DataFrame:
    rows = [
        {
            "container": p.container_id,
            "device": p.device_id,
            "lat": p.lat,
            "lon": p.lon,
            "speed_kmh": round(p.speed_kmh, 1) if p.speed_kmh is not None else None,
            "temperature_c": p.temperature_c,
            "last_seen": datetime.fromtimestamp(p.ts, UTC).strftime("%Y-%m-%d %H:%M"),
            "status": worst.get(p.container_id, "ok"),
            "colour": STATUS_COLOURS[worst.get(p.container_id, "ok")],
        }
        for p in positions
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "container",
            "device",
            "lat",
            "lon",
            "speed_kmh",
            "temperature_c",
            "last_seen",
            "status",
            "colour",
        ],
    )


def alerts_frame(alerts: list[AlertRow]) -> pd.DataFrame:
    rows = [
        {
            "severity": r.alert.severity.value,
            "kind": r.alert.kind.value.replace("_", " "),
            "container": r.alert.container_id,
            "time (UTC)": r.alert.ts.strftime("%Y-%m-%d %H:%M"),
            "status": r.status.value,
            "why": r.alert.explanation.summary,
            "alert_id": r.alert.alert_id,
        }
        for r in alerts
    ]
    return pd.DataFrame(
        rows, columns=["severity", "kind", "container", "time (UTC)", "status", "why", "alert_id"]
    )
