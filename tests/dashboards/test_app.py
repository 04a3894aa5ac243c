"""The control tower page, run with Streamlit's AppTest against a real seeded run."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cargotrail.cli.run import RunRequest, run_simulation
from cargotrail.settings import Settings
from dashboards.data import alerts_frame, positions_frame, worst_open_severity
from store.base import AlertStatus, TriageAction
from store.sqlite import SqliteStore

APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")


@pytest.fixture(autouse=True)
def fresh_caches():
    """The app caches its settings and store per process; each test points it elsewhere."""
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("tower")
    run_simulation(
        Settings(data_dir=d),
        RunRequest(containers=60, duration_s=86400, seed=4, anomalies_per_kind=2),
        progress=False,
    )
    return d


def test_the_page_shows_kpis_map_and_the_alert_queue(data_dir, monkeypatch):
    monkeypatch.setenv("CARGOTRAIL_DATA_DIR", str(data_dir))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Containers tracked"] == "60"
    assert int(metrics["Open alerts"]) > 0
    table = at.dataframe[0].value
    assert len(table) == int(metrics["Open alerts"])
    assert set(table["severity"]) <= {"critical", "high", "medium", "low"}
    assert all(table["why"].str.len() > 10)  # every alert explains itself


def test_without_data_the_page_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("CARGOTRAIL_DATA_DIR", str(tmp_path / "empty"))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert "cargotrail demo" in at.info[0].value


def test_status_colours_follow_the_worst_unresolved_alert(data_dir):
    store = SqliteStore(data_dir / "cargotrail.sqlite")
    rows = store.alerts()
    worst = worst_open_severity(rows)
    frame = positions_frame(store.latest_positions(), worst)
    flagged = frame[frame["status"] != "ok"]
    assert set(flagged["container"]) == {r.alert.container_id for r in rows}
    victim = rows[0]
    store.triage(victim.alert.alert_id, TriageAction.RESOLVE, "test operator")
    after = worst_open_severity(store.alerts())
    others = [r for r in rows[1:] if r.alert.container_id == victim.alert.container_id]
    assert (victim.alert.container_id in after) == bool(others)
    assert list(alerts_frame(store.alerts(status=AlertStatus.OPEN))["status"].unique()) == ["open"]
