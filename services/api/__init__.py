"""The cargotrail HTTP API (FastAPI, OpenAPI at ``/openapi.json``): see ``services.api.app``.

Read endpoints for operators and auditors, alert triage for operators, proofs verified against the
ledger, DCSA Track & Trace style equipment events; bearer tokens with roles (``services.api.tokens``).
"""

from services.api.app import create_app
from services.api.tokens import Role, TokenStore

__all__ = ["Role", "TokenStore", "create_app"]
