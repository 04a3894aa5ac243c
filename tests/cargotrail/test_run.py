"""End to end: a seeded simulation through the embedded pipeline, scored against its ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cargotrail.cli.main import app
from cargotrail.cli.run import RunRequest, run_simulation
from cargotrail.settings import Settings
from store.sqlite import SqliteStore

KINDS = {
    "route_deviation",
    "unscheduled_stop",
    "door_open_outside_zone",
    "temperature_excursion",
    "shock",
    "gps_jump",
    "signal_loss",
    "restricted_zone_entry",
}
REQUEST = RunRequest(containers=120, duration_s=2 * 86400, seed=11, anomalies_per_kind=3)


def run(tmp: Path, request: RunRequest = REQUEST) -> dict:
    return run_simulation(Settings(data_dir=tmp), request, progress=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    return run(tmp_path_factory.mktemp("run"))


def test_every_injected_anomaly_kind_is_detected_with_high_precision_and_recall(report):
    detection = report["detection"]
    assert set(detection) == KINDS
    for kind, s in detection.items():
        assert s["tp"] + s["fn"] >= 1, f"{kind}: nothing injected"
        assert s["precision"] >= 0.95, (kind, s)
        assert s["recall"] >= 0.95, (kind, s)


def test_every_record_is_anchored_and_the_sample_verifies(report):
    stored = SqliteStore(Path(report["data_dir"]) / "cargotrail.sqlite").counts()
    anchored_kinds = stored["readings"] + stored["rfid_reads"] + stored["geofence_events"] + stored["alerts"]
    assert report["anchoring"]["records"] == anchored_kinds == stored["proofs"]
    assert report["anchoring"]["batches"] == stored["anchors"] > 1
    assert len(report["sample_record_ids"]) == 10
    assert all(s["ok"] for s in report["sample_record_ids"]), report["sample_record_ids"]


def test_the_report_counts_add_up(report):
    assert report["readings"] == report["readings_valid"] > 10_000
    assert report["readings_rejected"] == 0
    assert report["readings_duplicate"] == report["readings_unchecked"] == 0  # each reading sent once
    assert sum(report["alerts"].values()) >= report["injected_anomalies"] * 0.95
    assert report["events"]["enter"] > 0 and report["events"]["exit"] > 0


def test_late_delivery_within_the_bound_changes_nothing(tmp_path, report):
    """Readings delivered out of order (within the lateness bound) give the same alerts and Merkle roots."""
    shuffled = run(tmp_path, RunRequest(**{**REQUEST.__dict__, "out_of_order_share": 0.05}))
    assert shuffled["alerts"] == report["alerts"] and shuffled["events"] == report["events"]
    roots = [SqliteStore(Path(r["data_dir"]) / "cargotrail.sqlite").anchors() for r in (report, shuffled)]
    assert [a.root for a in roots[0]] == [a.root for a in roots[1]]


def test_the_cli_writes_the_report(tmp_path, monkeypatch):
    monkeypatch.setenv("CARGOTRAIL_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--containers",
            "20",
            "--duration",
            "6h",
            "--anomalies",
            "1",
            "--quiet",
            "--report",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["containers"] == 20
    assert "precision" in result.output


def test_a_bad_duration_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CARGOTRAIL_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["run", "--duration", "ten days"])
    assert result.exit_code == 2
    assert "ten days" in result.output
