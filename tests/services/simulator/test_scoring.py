"""Precision and recall per kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cargotrail.contract.records import Alert, AlertKind, Explanation, Severity
from services.simulator import GroundTruth
from services.simulator.scoring import score

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _alert(cid: str, kind: AlertKind, minutes: float) -> Alert:
    return Alert(
        alert_id=f"{cid}-{kind.value}-{minutes}",
        kind=kind,
        severity=Severity.HIGH,
        container_id=cid,
        device_id="TRK-00000001",
        ts=T0 + timedelta(minutes=minutes),
        lat=None,
        lon=None,
        explanation=Explanation(rule="r", summary="s"),
    )


def _truth(cid: str, kind: AlertKind, start_min: float, end_min: float) -> GroundTruth:
    return GroundTruth(
        container_id=cid,
        kind=kind,
        start=T0 + timedelta(minutes=start_min),
        end=T0 + timedelta(minutes=end_min),
    )


def test_window_edges() -> None:
    truths = [_truth("A", AlertKind.SHOCK, 60, 60)]
    assert score([_alert("A", AlertKind.SHOCK, 45)], truths)["shock"]["tp"] == 1  # start - 900 s
    assert score([_alert("A", AlertKind.SHOCK, 44.9)], truths)["shock"]["fp"] == 1
    assert score([_alert("A", AlertKind.SHOCK, 180)], truths)["shock"]["tp"] == 1  # end + 2 h
    assert score([_alert("A", AlertKind.SHOCK, 181)], truths)["shock"]["fn"] == 1
    assert score([_alert("A", AlertKind.SHOCK, 70)], truths, tolerance_s=0)["shock"]["fp"] == 1


def test_precision_recall_counts() -> None:
    truths = [
        _truth("A", AlertKind.GPS_JUMP, 0, 30),
        _truth("B", AlertKind.GPS_JUMP, 0, 30),
        _truth("C", AlertKind.SIGNAL_LOSS, 0, 300),
    ]
    alerts = [
        _alert("A", AlertKind.GPS_JUMP, 10),
        _alert("A", AlertKind.GPS_JUMP, 20),
        _alert("B", AlertKind.SHOCK, 10),
        _alert("C", AlertKind.GPS_JUMP, 10),
    ]
    rep = score(alerts, truths)
    assert rep["gps_jump"] == {"tp": 2.0, "fp": 1.0, "fn": 1.0, "precision": 2 / 3, "recall": 0.5}
    assert rep["shock"]["precision"] == 0.0 and rep["shock"]["recall"] == 1.0
    assert rep["signal_loss"]["recall"] == 0.0 and rep["signal_loss"]["precision"] == 1.0
    assert set(rep) == {k.value for k in AlertKind}


def test_empty() -> None:
    rep = score([], [])
    assert all(r["precision"] == 1.0 and r["recall"] == 1.0 for r in rep.values())
