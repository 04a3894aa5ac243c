"""Alert triage: acknowledge, assign, resolve; the operator is the token's name; every action is logged."""

from __future__ import annotations

import pytest

from services.api import Role


@pytest.fixture
def alert_id(served, request) -> str:
    """A different alert for each test (they change its status)."""
    ids = [row.alert.alert_id for row in served.store.alerts(limit=10_000)]
    names = [n for n in dir(TestTriage) if n.startswith("test_")]
    return ids[names.index(request.node.name.split("[")[0]) % len(ids)]


class TestTriage:
    def test_acknowledge_assign_resolve_are_audit_logged_with_the_token_name(self, served, alert_id):
        url = f"/v1/alerts/{alert_id}"
        r = served.client.post(f"{url}/acknowledge", headers=served.auth(Role.OPERATOR))
        assert r.status_code == 200 and r.json()["status"] == "acknowledged"
        r = served.client.post(
            f"{url}/assign", headers=served.auth(Role.OPERATOR), json={"assignee": "bob", "note": "yard 3"}
        )
        assert (r.json()["status"], r.json()["assignee"]) == ("assigned", "bob")
        r = served.client.post(f"{url}/resolve", headers=served.auth(Role.ADMIN), json={"note": "sealed"})
        assert r.status_code == 200 and r.json()["status"] == "resolved"
        assert r.json()["alert"]["alert_id"] == alert_id
        log = served.get(f"{url}/log", role=Role.AUDITOR).json()
        assert [(e["action"], e["operator"], e["note"]) for e in log] == [
            ("acknowledge", "operator-alice", ""),
            ("assign to bob", "operator-alice", "yard 3"),
            ("resolve", "admin-alice", "sealed"),
        ]
        assert [e.operator for e in served.store.triage_log(alert_id)] == [e["operator"] for e in log]

    def test_status_filter_sees_the_triaged_alert(self, served, alert_id):
        served.client.post(f"/v1/alerts/{alert_id}/acknowledge", headers=served.auth(Role.OPERATOR))
        acked = served.get("/v1/alerts", status="acknowledged").json()
        assert alert_id in {row["alert"]["alert_id"] for row in acked}
        assert alert_id not in {
            row["alert"]["alert_id"] for row in served.get("/v1/alerts", status="open").json()
        }

    def test_the_operator_cannot_be_named_in_the_request(self, served, alert_id):
        r = served.client.post(
            f"/v1/alerts/{alert_id}/acknowledge",
            headers=served.auth(Role.OPERATOR),
            json={"note": "x", "operator": "mallory"},
        )
        assert r.status_code == 200
        assert served.store.triage_log(alert_id)[-1].operator == "operator-alice"

    def test_assign_needs_an_assignee(self, served, alert_id):
        for body in (None, {}, {"assignee": ""}, {"assignee": "   "}):
            r = served.client.post(
                f"/v1/alerts/{alert_id}/assign", headers=served.auth(Role.OPERATOR), json=body
            )
            assert r.status_code == 422, body
        assert served.store.triage_log(alert_id) == []

    def test_unknown_alerts_are_404(self, served, alert_id):
        for tail in ("acknowledge", "resolve"):
            r = served.client.post(f"/v1/alerts/no-such-alert/{tail}", headers=served.auth(Role.OPERATOR))
            assert (r.status_code, r.json()["detail"]) == (404, "alert no-such-alert does not exist")
        assert served.get("/v1/alerts/no-such-alert/log").status_code == 404

    def test_a_record_that_is_not_an_alert_cannot_be_triaged(self, served, alert_id):
        rid = served.store.latest_positions()[0].reading_id
        r = served.client.post(f"/v1/alerts/{rid}/acknowledge", headers=served.auth(Role.OPERATOR))
        assert r.status_code == 404
