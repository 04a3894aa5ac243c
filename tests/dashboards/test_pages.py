"""Every page of the multipage app, run with Streamlit's AppTest against a real seeded run."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from store.base import AlertStatus
from store.sqlite import SqliteStore
from tests.dashboards.conftest import APP

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def page(data_dir, monkeypatch, path: str, *, role: str = "operator", name: str = "") -> AppTest:
    monkeypatch.setenv("CARGOTRAIL_DATA_DIR", str(data_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["role"], at.session_state["operator"] = role, name
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def buttons(at: AppTest) -> set[str]:
    return {b.label for b in at.button}


def test_alerts_are_triaged_by_a_named_operator_and_logged(seeded, monkeypatch):
    at = page(seeded, monkeypatch, "pages/alerts.py", name="Ada")
    queue = at.dataframe[0].value
    assert list(queue["severity"]) == sorted(
        queue["severity"], key=["critical", "high", "medium", "low"].index
    )
    alert_id = queue["alert_id"].iloc[0]
    assert alert_id in str(at.selectbox(key="alert_choice").value)
    assert {"Acknowledge", "Assign", "Resolve"} <= buttons(at)
    at.button(key="ack").click().run()
    assert not at.exception, at.exception
    assert f"Alert {alert_id} acknowledged by Ada." in [s.value for s in at.success]
    log = at.dataframe[-1].value
    assert list(log["operator"]) == ["Ada"] and list(log["action"]) == ["acknowledge"]
    store = SqliteStore(seeded / "cargotrail.sqlite")
    assert {r.alert.alert_id: r.status for r in store.alerts()}[alert_id] is AlertStatus.ACKNOWLEDGED


def test_each_alert_explains_itself_with_its_evidence(seeded, monkeypatch):
    at = page(seeded, monkeypatch, "pages/alerts.py")
    assert any("Rule" in m.value for m in at.markdown)
    assert any("Evidence" in m.value for m in at.markdown)
    assert len(at.get("deck_gl_json_chart")) == 1
    assert "Enter your name" in at.warning[0].value  # no name, no triage


def test_an_auditor_sees_no_triage_buttons(seeded, monkeypatch):
    at = page(seeded, monkeypatch, "pages/alerts.py", role="auditor", name="Bea")
    assert not {"Acknowledge", "Assign", "Resolve"} & buttons(at)
    assert "may read alerts but not triage" in at.info[0].value


def test_an_integrator_sees_nothing(seeded, monkeypatch):
    at = page(seeded, monkeypatch, "pages/feeds.py", role="integrator")
    assert "only ingests" in at.warning[0].value
    assert not at.dataframe


def test_the_container_page_tells_the_story_and_verifies_a_record(seeded, monkeypatch):
    store = SqliteStore(seeded / "cargotrail.sqlite")
    number = store.latest_positions()[0].container_id
    at = page(seeded, monkeypatch, "pages/container.py")
    at.text_input(key="container").input(number.lower()).run()
    assert not at.exception, at.exception
    assert at.subheader[0].value.startswith(f"{number}: ")
    milestones = at.dataframe[0].value
    assert set(milestones["code"]) <= {"GTIN", "GTOT", "LOAD", "DISC", "INSP"}
    verify = [b for b in at.button if b.label == "Verify"]
    assert verify
    verify[0].click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("verified in batch ") for s in at.success)
    assert any(getattr(b, "label", "") == "Download proof bundle" for b in at.get("download_button"))


def test_the_container_page_refuses_a_bad_number(seeded, monkeypatch):
    at = page(seeded, monkeypatch, "pages/container.py")
    at.text_input(key="container").input("ABCU1234567").run()
    assert "not a valid ISO 6346" in at.error[0].value


def test_the_audit_page_verifies_a_trail(seeded, monkeypatch):
    store = SqliteStore(seeded / "cargotrail.sqlite")
    number = store.latest_positions()[0].container_id
    at = page(seeded, monkeypatch, "pages/audit.py", role="auditor")
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Anchored batches"].replace(",", "")) > 0
    at.text_input(key="trail_container").input(number)  # a form: sent with its submit button
    at.button(key="verify_trail").click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith(f"Trail of {number} intact") for s in at.success), [
        e.value for e in [*at.success, *at.error, *at.warning]
    ]


def test_the_feeds_page_shows_devices_and_the_dlq(seeded, monkeypatch):
    at = page(seeded, monkeypatch, "pages/feeds.py", role="admin")
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Readings"].replace(",", "")) > 0
    per_source, devices = at.dataframe[0].value, at.dataframe[1].value
    assert per_source["devices"].sum() == len(devices) == 60


@pytest.mark.parametrize("ca_file", ["missing.pem", "not-a-certificate.pem"])
def test_a_bad_fabric_ca_setting_is_shown_and_the_rest_of_the_audit_page_works(
    seeded, monkeypatch, tmp_path, ca_file
):
    (tmp_path / "not-a-certificate.pem").write_text("PortAuthority's CA, to be sent later\n")
    path = tmp_path / ca_file
    monkeypatch.setenv("CARGOTRAIL_FABRIC_ORG_CAS", f"CustomsMSP={path}")
    at = page(seeded, monkeypatch, "pages/audit.py", role="auditor")
    (problem,) = [e.value for e in at.error]
    assert problem.startswith("Fabric bundles cannot be verified: ") and f"CustomsMSP at {path}" in problem
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Anchored batches"].replace(",", "")) > 0
    assert at.text_input(key="trail_container") is not None
    assert len(at.get("file_uploader")) == 1  # local bundles still verify with the ledger's key
    batch = str(at.selectbox(key="endorse_batch").value)
    at.button(key="check_endorsement").click().run()  # a local batch needs no Fabric CA
    assert not at.exception, at.exception
    assert any(s.value.startswith(f"Batch {batch} endorsed by ") for s in at.success), [
        e.value for e in [*at.success, *at.error]
    ]
