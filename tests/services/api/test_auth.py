"""Tokens and roles: 401 with a reason for a missing, malformed or unknown token; 403 for a wrong role."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cargotrail.cli.main import app as cli
from services.api import Role, TokenStore

READS = [
    "/v1/containers",
    "/v1/containers/{c}",
    "/v1/containers/{c}/track",
    "/v1/containers/{c}/events",
    "/v1/containers/{c}/rfid",
    "/v1/containers/{c}/dcsa-events",
    "/v1/alerts",
    "/v1/alerts/{a}/log",
    "/v1/proofs/{r}",
    "/v1/proofs/{r}/verify",
    "/v1/proofs/{r}/bundle",
    "/v1/anchors",
    "/v1/anchors/{b}",
]
TRIAGE = ["/v1/alerts/{a}/acknowledge", "/v1/alerts/{a}/assign", "/v1/alerts/{a}/resolve"]


def fill(served, path: str) -> str:
    position = served.store.latest_positions()[0]
    alert = served.store.alerts()[0].alert
    batch = served.store.anchors()[0].batch_id
    return path.format(c=position.container_id, a=alert.alert_id, r=position.reading_id, b=batch)


@pytest.mark.parametrize("path", READS + TRIAGE)
def test_missing_token_is_401_with_a_reason(served, path):
    method = served.client.post if path in TRIAGE else served.client.get
    r = method(fill(served, path))
    assert r.status_code == 401
    assert r.json()["detail"].startswith("missing token")
    assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Basic dXNlcjpwdw==", "Bearer", "token-without-scheme"])
def test_malformed_header_is_401(served, header):
    r = served.client.get("/v1/containers", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.json()["detail"].startswith("malformed Authorization header")


def test_unknown_token_is_401(served):
    r = served.client.get("/v1/containers", headers={"Authorization": "Bearer ct_000000000000_nope"})
    assert r.status_code == 401
    assert r.json()["detail"] == "invalid token: unknown or revoked"


@pytest.mark.parametrize("path", READS + TRIAGE)
def test_an_integrator_only_ingests_it_reads_and_triages_nothing(served, path):
    headers = served.auth(Role.INTEGRATOR)
    if path in TRIAGE:
        r = served.client.post(fill(served, path), headers=headers, json={"assignee": "bob"})
    else:
        r = served.client.get(fill(served, path), headers=headers)
    assert r.status_code == 403
    assert r.json()["detail"].startswith("role integrator may not ")


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.AUDITOR, Role.ADMIN])
@pytest.mark.parametrize("path", READS)
def test_operators_auditors_and_admins_read_and_verify(served, role, path):
    r = served.client.get(fill(served, path), headers=served.auth(role))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("path", TRIAGE)
def test_an_auditor_cannot_triage(served, path):
    alert_id = served.store.alerts()[0].alert.alert_id
    before = served.store.triage_log(alert_id)
    r = served.client.post(fill(served, path), headers=served.auth(Role.AUDITOR), json={"assignee": "bob"})
    assert r.status_code == 403
    assert r.json()["detail"] == "role auditor may not triage alerts: needs one of admin, operator"
    assert served.store.triage_log(alert_id) == before


def test_health_needs_no_token(served):
    assert served.client.get("/health").json() == {"status": "ok"}


def test_the_token_file_holds_hashes_never_tokens(served):
    text = (served.settings.data_dir / "api_tokens.json").read_text()
    for token in served.tokens.values():
        assert token not in text
    assert {t["role"] for t in json.loads(text)["tokens"]} == {r.value for r in Role}


def test_cli_creates_a_token_printed_once_that_authenticates_and_can_be_revoked(served, monkeypatch):
    monkeypatch.setenv("CARGOTRAIL_DATA_DIR", str(served.settings.data_dir))
    result = CliRunner().invoke(cli, ["api-token", "create", "--role", "auditor", "--name", "Carol"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    r = served.client.get("/v1/anchors", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    entry = TokenStore.for_data_dir(served.settings.data_dir).authenticate(token)
    assert entry is not None and entry.name == "Carol" and entry.role is Role.AUDITOR
    assert CliRunner().invoke(cli, ["api-token", "revoke", entry.token_id]).exit_code == 0
    r = served.client.get("/v1/anchors", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_cli_refuses_an_unknown_role(served, monkeypatch):
    monkeypatch.setenv("CARGOTRAIL_DATA_DIR", str(served.settings.data_dir))
    result = CliRunner().invoke(cli, ["api-token", "create", "--role", "root", "--name", "Eve"])
    assert result.exit_code == 2
    assert "expected one of operator, auditor, integrator, admin" in result.output
