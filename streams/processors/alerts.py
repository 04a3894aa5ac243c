"""Building alerts that explain themselves (rule, threshold, observed, evidence)."""

from __future__ import annotations

from datetime import UTC, datetime

from cargotrail.contract.ids import alert_id
from cargotrail.contract.records import Alert, AlertKind, Explanation, Reading, Severity

SEVERITY: dict[AlertKind, Severity] = {
    AlertKind.RESTRICTED_ZONE_ENTRY: Severity.CRITICAL,
    AlertKind.GPS_JUMP: Severity.HIGH,
    AlertKind.DOOR_OPEN_OUTSIDE_ZONE: Severity.HIGH,
    AlertKind.ROUTE_DEVIATION: Severity.HIGH,
    AlertKind.TEMPERATURE_EXCURSION: Severity.HIGH,
    AlertKind.UNSCHEDULED_STOP: Severity.MEDIUM,
    AlertKind.SHOCK: Severity.MEDIUM,
    AlertKind.SIGNAL_LOSS: Severity.MEDIUM,
}


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def make_alert(
    kind: AlertKind,
    *,
    container_id: str,
    device_id: str,
    ts: float,
    lat: float | None,
    lon: float | None,
    summary: str,
    threshold: dict[str, float | str],
    observed: dict[str, float | str],
    evidence: list[str],
) -> Alert:
    """One alert; its id depends on kind, container and the first evidence reading only."""
    return Alert(
        alert_id=alert_id(kind.value, container_id, evidence[0] if evidence else str(ts)),
        kind=kind,
        severity=SEVERITY[kind],
        container_id=container_id,
        device_id=device_id,
        ts=utc(ts),
        lat=lat,
        lon=lon,
        explanation=Explanation(
            rule=kind.value, summary=summary, threshold=threshold, observed=observed, evidence=evidence
        ),
    )


def alert_at(
    kind: AlertKind,
    r: Reading,
    ts: float,
    *,
    summary: str,
    threshold: dict[str, float | str],
    observed: dict[str, float | str],
    evidence: list[str],
) -> Alert:
    """An alert raised at reading ``r`` (its container, device and position)."""
    return make_alert(
        kind,
        container_id=r.container_id,
        device_id=r.device_id,
        ts=ts,
        lat=r.lat,
        lon=r.lon,
        summary=summary,
        threshold=threshold,
        observed=observed,
        evidence=evidence,
    )


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"
