"""Alerts: the queue, each alert's triage log, and triage (acknowledge, assign, resolve).

Reading needs a reading role; triage needs operator or admin. The operator named in the triage log is
the name of the caller's token, never a field of the request. Every action is written by
``store.triage`` to the alert's audit log (``GET /v1/alerts/{id}/log``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query

from services.api.app import locked_store
from services.api.auth import AUTH_RESPONSES, Principal, can_read, can_triage
from services.api.models import (
    AlertRowOut,
    AssignRequest,
    ErrorOut,
    TriageEntryOut,
    TriageRequest,
    from_struct,
)
from services.api.models import from_structs as many
from store.base import AlertStatus, Repository, TriageAction

router = APIRouter(prefix="/v1/alerts", tags=["alerts"], responses=AUTH_RESPONSES)

Reader = Annotated[Principal, Depends(can_read)]
Triager = Annotated[Principal, Depends(can_triage)]
Store = Annotated[Repository, Depends(locked_store)]
AlertId = Annotated[str, Path(min_length=1, max_length=128)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "no such alert"}}


def _known(store: Repository, alert_id: str) -> None:
    stored = store.record(alert_id)
    if stored is None or stored.kind != "alert":
        raise HTTPException(status_code=404, detail=f"alert {alert_id} does not exist")


@router.get("")
def alerts(
    _: Reader,
    store: Store,
    status: AlertStatus | None = None,
    container_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[AlertRowOut]:
    """Alerts with their triage status, most severe first, then oldest first."""
    return many(AlertRowOut, store.alerts(status=status, container_id=container_id, limit=limit))


@router.get("/{alert_id}/log", responses=NOT_FOUND)
def triage_log(alert_id: AlertId, _: Reader, store: Store) -> list[TriageEntryOut]:
    """Who did what to the alert, and when (the audit log), oldest first."""
    _known(store, alert_id)
    return many(TriageEntryOut, store.triage_log(alert_id))


def _triage(
    store: Repository,
    alert_id: str,
    action: TriageAction,
    who: Principal,
    note: str,
    assignee: str | None = None,
) -> AlertRowOut:
    _known(store, alert_id)
    row = store.triage(alert_id, action, who.name, assignee=assignee, note=note)
    return from_struct(AlertRowOut, row)


@router.post("/{alert_id}/acknowledge", responses=NOT_FOUND)
def acknowledge(
    alert_id: AlertId, who: Triager, store: Store, body: Annotated[TriageRequest | None, Body()] = None
) -> AlertRowOut:
    """Acknowledge the alert: someone is looking at it."""
    return _triage(store, alert_id, TriageAction.ACKNOWLEDGE, who, body.note if body else "")


@router.post("/{alert_id}/assign", responses=NOT_FOUND)
def assign(alert_id: AlertId, who: Triager, store: Store, body: AssignRequest) -> AlertRowOut:
    """Assign the alert to someone (``assignee``)."""
    return _triage(store, alert_id, TriageAction.ASSIGN, who, body.note, assignee=body.assignee.strip())


@router.post("/{alert_id}/resolve", responses=NOT_FOUND)
def resolve(
    alert_id: AlertId, who: Triager, store: Store, body: Annotated[TriageRequest | None, Body()] = None
) -> AlertRowOut:
    """Resolve the alert (with an optional note saying how)."""
    return _triage(store, alert_id, TriageAction.RESOLVE, who, body.note if body else "")
