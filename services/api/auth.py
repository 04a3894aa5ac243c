"""Bearer-token authentication and role checks, as FastAPI dependencies.

Missing, malformed or unknown token: 401 with the reason (and a
``WWW-Authenticate: Bearer`` challenge). A valid token whose role may not do
what is asked: 403 naming the role, the action and the roles that may.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.api.models import ErrorOut
from services.api.tokens import Role, TokenStore

bearer = HTTPBearer(auto_error=False, description="An API token from `cargotrail api-token create`.")

AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "missing, malformed or unknown token (the reason in detail)"},
    403: {"model": ErrorOut, "description": "the token's role may not do this (the reason in detail)"},
    503: {"model": ErrorOut, "description": "the store or ledger cannot be reached or is not set up"},
}

READERS = frozenset({Role.OPERATOR, Role.AUDITOR, Role.ADMIN})
VERIFIERS = frozenset({Role.OPERATOR, Role.AUDITOR, Role.ADMIN})
TRIAGERS = frozenset({Role.OPERATOR, Role.ADMIN})


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name is the operator's name in the triage log."""

    token_id: str
    name: str
    role: Role


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(status_code=401, detail=reason, headers={"WWW-Authenticate": "Bearer"})


def authenticate(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    tokens: TokenStore = request.app.state.tokens
    if creds is None:
        header = request.headers.get("authorization")
        if header is None:
            raise _unauthorized("missing token: send 'Authorization: Bearer <token>'")
        raise _unauthorized("malformed Authorization header: expected 'Bearer <token>'")
    entry = tokens.authenticate(creds.credentials)
    if entry is None:
        raise _unauthorized("invalid token: unknown or revoked")
    return Principal(token_id=entry.token_id, name=entry.name, role=entry.role)


def require(allowed: frozenset[Role], action: str) -> Callable[[Principal], Principal]:
    """A dependency: the caller, if its role is one of ``allowed``; else 403 with the reason."""
    names = ", ".join(sorted(r.value for r in allowed))

    def check(who: Principal = Depends(authenticate)) -> Principal:
        if who.role not in allowed:
            raise HTTPException(
                status_code=403,
                detail=f"role {who.role.value} may not {action}: needs one of {names}",
            )
        return who

    return check


can_read = require(READERS, "read tracking data")
can_verify = require(VERIFIERS, "read or verify proofs")
can_triage = require(TRIAGERS, "triage alerts")
