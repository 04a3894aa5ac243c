"""What the Alerts page shows: the triage queue, each alert's explanation and evidence (no Streamlit here)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd

from cargotrail.contract.records import Alert, Reading
from dashboards.data import SEVERITY_ORDER, STATUS_COLOURS
from dashboards.records import load
from store.base import AlertRow, AlertStatus, Repository, TriageEntry

QUEUE_COLUMNS = ["severity", "kind", "container", "raised (UTC)", "age", "status", "assignee", "alert_id"]


def age_text(seconds: float) -> str:
    """A short age, e.g. ``2d 3h``, ``3h 20m``, ``45m``."""
    minutes = max(0, int(seconds // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {mins}m" if hours else f"{mins}m"


def sort_queue(alerts: list[AlertRow], *, include_resolved: bool = False) -> list[AlertRow]:
    """Worst severity first, then oldest first (the longest waiting), then by id."""
    rows = [r for r in alerts if include_resolved or r.status is not AlertStatus.RESOLVED]
    return sorted(
        rows,
        key=lambda r: (SEVERITY_ORDER.index(r.alert.severity.value), r.alert.ts, r.alert.alert_id),
    )


def queue_frame(rows: list[AlertRow], now: datetime) -> pd.DataFrame:
    """The sorted queue as a table; ``now`` only sets the ``age`` column."""
    data = [
        {
            "severity": r.alert.severity.value,
            "kind": r.alert.kind.value.replace("_", " "),
            "container": r.alert.container_id,
            "raised (UTC)": r.alert.ts.strftime("%Y-%m-%d %H:%M"),
            "age": age_text((now - r.alert.ts).total_seconds()),
            "status": r.status.value,
            "assignee": r.assignee or "",
            "alert_id": r.alert.alert_id,
        }
        for r in rows
    ]
    return pd.DataFrame(data, columns=QUEUE_COLUMNS)


def label(row: AlertRow) -> str:
    a = row.alert
    return f"{a.severity.value.upper()} · {a.kind.value.replace('_', ' ')} · {a.container_id} · {a.alert_id}"


def explanation(alert: Alert) -> dict[str, Any]:
    """Rule, summary, threshold against observed (one row per parameter) and the evidence ids."""
    e = alert.explanation
    names = list(dict.fromkeys([*e.threshold, *e.observed]))
    table = pd.DataFrame(
        [
            {"parameter": n, "threshold": str(e.threshold.get(n, "")), "observed": str(e.observed.get(n, ""))}
            for n in names
        ],
        columns=["parameter", "threshold", "observed"],
    )
    return {"rule": e.rule, "summary": e.summary, "table": table, "evidence": list(e.evidence)}


EVIDENCE_COLUMNS = ["what", "record_id", "time (UTC)", "lat", "lon", "colour"]


def evidence_points(store: Repository, alert: Alert) -> pd.DataFrame:
    """Where the evidence was seen: the readings named as evidence, and the alert's own position."""
    rows: list[dict[str, Any]] = []
    for rid in alert.explanation.evidence:
        record = load(store, rid)
        if isinstance(record, Reading):
            rows.append(_point("evidence", rid, record.ts, record.lat, record.lon, STATUS_COLOURS["low"]))
    if alert.lat is not None and alert.lon is not None:
        colour = STATUS_COLOURS[alert.severity.value]
        rows.append(_point("alert", alert.alert_id, alert.ts, alert.lat, alert.lon, colour))
    return pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)


def _point(what: str, rid: str, ts: datetime, lat: float, lon: float, colour: list[int]) -> dict[str, Any]:
    return {
        "what": what,
        "record_id": rid,
        "time (UTC)": ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
        "lat": lat,
        "lon": lon,
        "colour": colour,
    }


def triage_frame(entries: list[TriageEntry]) -> pd.DataFrame:
    data = [
        {
            "time (UTC)": datetime.fromtimestamp(e.ts, UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "action": e.action,
            "operator": e.operator,
            "note": e.note,
        }
        for e in entries
    ]
    return pd.DataFrame(data, columns=["time (UTC)", "action", "operator", "note"])
