"""Schemathesis against the API's OpenAPI document: generated requests, every response checked.

Run as every role that reads (operator, with triage) and as an integrator (every /v1 answer a 403 that
the document declares) with a bounded number of examples per operation. The live feed is called with
``follow=false`` (it catches up and closes; followed, it would stream until the client leaves).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok

from services.api import Role


def operations(served):
    schema = schemathesis.openapi.from_asgi("/openapi.json", served.client.app)
    results = list(schema.get_all_operations())
    assert all(isinstance(r, Ok) for r in results), [r for r in results if not isinstance(r, Ok)]
    return [r.ok() for r in results if isinstance(r, Ok)]


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.INTEGRATOR])
def test_the_api_keeps_its_openapi_contract(served, role):
    headers = served.auth(role)
    seen = []
    for operation in operations(served):

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            if case.path == "/v1/live":
                case.query = {**(case.query or {}), "follow": "false"}
            response = case.call_and_validate(headers=headers)
            assert response.status_code < 500
            if role is Role.INTEGRATOR and case.path != "/health":
                assert response.status_code in (403, 422), case.path

        check()
        seen.append(operation.label)
    assert len(seen) >= 15


def test_the_document_declares_bearer_auth_and_every_path(served):
    doc = served.client.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert {
        "/v1/containers",
        "/v1/containers/{container_id}/track",
        "/v1/containers/{container_id}/dcsa-events",
        "/v1/alerts/{alert_id}/assign",
        "/v1/proofs/{record_id}/verify",
        "/v1/anchors/{batch_id}",
        "/v1/live",
        "/v1/containers/{container_id}/epcis",
    } <= set(doc["paths"])
