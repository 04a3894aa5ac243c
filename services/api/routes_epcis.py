"""``GET /v1/containers/{id}/epcis``: the container's history as an EPCIS 2.0 query document (JSON-LD)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from services.api.app import context
from services.api.auth import AUTH_RESPONSES, Principal, can_read
from services.api.epcis import query_document
from services.api.routes_read import End, Start, epoch

ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorOut"}

router = APIRouter(prefix="/v1/containers", tags=["containers"])
# The errors stay application/json (FastAPI would document them in the route's JSON-LD media type).
JSON_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": doc["description"], "content": {"application/json": {"schema": ERROR_SCHEMA}}}
    for code, doc in AUTH_RESPONSES.items()
}

Reader = Annotated[Principal, Depends(can_read)]
ContainerId = Annotated[str, Path(min_length=1, max_length=64, description="ISO 6346 container number")]


class JsonLdResponse(JSONResponse):
    media_type = "application/ld+json"


@router.get("/{container_id}/epcis", response_class=JsonLdResponse, responses=JSON_ERRORS)
def epcis(
    container_id: ContainerId,
    _: Reader,
    request: Request,
    start: Start = None,
    end: End = None,
    max_readings: Annotated[
        int, Query(ge=2, le=10_000, description="sensor readings thinned evenly to about this many")
    ] = 2000,
    cbv_hash: Annotated[
        bool, Query(description="eventID = the GS1 CBV 2.0 event hash (slower: ~5 ms an event)")
    ] = False,
) -> dict[str, Any]:
    """EPCIS 2.0 ``EPCISQueryDocument``: ObjectEvents of the container's RFID reads, geofence milestones
    and tracker readings (``sensorElementList``) in ``[start, end]``, oldest first. An unknown container
    has an empty event list."""
    a, b = epoch(start, 0.0), epoch(end, float("inf"))
    ctx = context(request)
    with ctx.lock:  # only the reads: the mapping (and hashing) must not hold up other requests
        readings = ctx.store.track(container_id, a, b, max_readings)
        reads = [r for r in ctx.store.rfid(container_id) if a <= r.ts.timestamp() <= b]
        events = ctx.store.events(container_id, a, b)
    return query_document(
        container_id, readings, reads, events, created=datetime.now(UTC), with_hashes=cbv_hash
    )
