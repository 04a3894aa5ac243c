"""``GET /v1/live``: positions, geofence events and alerts pushed as server-sent events as they are stored.

Each event is ``event: position|geofence|alert``, ``data:`` the same JSON as the read endpoints
(``PositionOut``, ``GeofenceEventOut``, ``AlertRowOut``: an alert comes again when it is triaged) and
``id:`` the store's change cursor. The stream opens with a ``ready`` event whose id is the cursor it
starts from, so a client that reconnects with ``Last-Event-ID`` (browsers do by themselves) first gets
everything it missed, from the store, then the live changes: nothing is lost between connections.
Quiet streams carry a ``: heartbeat`` comment every few seconds. A client too slow to keep up gets an
``overflow`` event and is disconnected (its queue is bounded); it resumes by reconnecting.
``follow=false`` returns what is after the cursor and closes (a catch-up without staying connected).
Integrators are refused (403): they ingest, they do not watch.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, StringConstraints

from cargotrail.errors import ValidationError
from services.api.app import context
from services.api.auth import AUTH_RESPONSES, Principal, can_read
from services.api.live import Filter, HubFull, LiveHub, Subscriber
from services.api.models import AlertRowOut, ErrorOut, GeofenceEventOut, PositionOut, from_struct
from services.api.sse import MEDIA_TYPE, comment, frame
from store.base import CHANGE_KINDS, CURSOR_PATTERN, Change, ChangeKind, parse_cursor

router = APIRouter(prefix="/v1", tags=["live"], responses=AUTH_RESPONSES)

Reader = Annotated[Principal, Depends(can_read)]
ContainerId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
EVENT_SCHEMA = {  # one event of the stream (OpenAPI before 3.2: ``schema`` describes each event)
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"enum": ["ready", *CHANGE_KINDS, "overflow"]},
        "data": {"type": "string", "contentMediaType": "application/json"},
        "id": {"type": "string", "pattern": CURSOR_PATTERN, "description": "the change cursor"},
        "retry": {"description": "milliseconds a client waits before reconnecting"},
    },
}
STREAM_DOC = {
    "description": "an event stream: `ready`, then `position`, `geofence`, `alert` events (see above)",
    "content": {MEDIA_TYPE: {"schema": EVENT_SCHEMA}},
}


def payload(change: Change) -> BaseModel:
    if change.position is not None:
        return from_struct(PositionOut, change.position)
    if change.event is not None:
        return from_struct(GeofenceEventOut, change.event)
    assert change.alert is not None
    return from_struct(AlertRowOut, change.alert)


def change_frame(change: Change) -> bytes:
    return frame(id=change.cursor, event=change.kind, data=payload(change).model_dump_json())


def hub_of(request: Request) -> LiveHub:
    hub: LiveHub = request.app.state.live
    return hub


async def _events(
    request: Request, hub: LiveHub, filter_: Filter, start: str, sub: Subscriber | None, catch_up: bool
) -> AsyncIterator[bytes]:
    """The stream: ``ready``, the catch-up from the store after ``start``, then ``sub``'s live changes."""
    ctx, config = context(request), hub.config

    def fetch(cursor: str) -> list[Change]:
        with ctx.lock:
            return ctx.store.changes_after(cursor, config.page)

    try:
        cursor = start
        filters = {"kinds": sorted(filter_.kinds), "containers": sorted(filter_.containers or [])}
        ready = json.dumps({"cursor": cursor, "filters": filters})
        yield frame(retry_ms=config.retry_ms, id=cursor, event="ready", data=ready)
        while catch_up and (page := await asyncio.to_thread(fetch, cursor)):
            for change in page:
                if filter_.takes(change):
                    yield change_frame(change)
            cursor = page[-1].cursor
            if len(page) < config.page:
                break
        if sub is None:
            return
        last = parse_cursor(cursor)
        while True:
            try:
                item = await asyncio.wait_for(sub.queue.get(), timeout=config.heartbeat_s)
            except TimeoutError:
                yield comment("heartbeat")
                continue
            if item is None:
                if sub.overflowed:
                    reason = {"reason": f"more than {sub.size} changes waiting: reconnect with Last-Event-ID"}
                    yield frame(event="overflow", data=json.dumps(reason))
                return
            if parse_cursor(item.cursor) > last:  # skip what the catch-up already sent
                last = parse_cursor(item.cursor)
                yield change_frame(item)
    finally:
        if sub is not None:
            hub.unsubscribe(sub)


@router.get(
    "/live",
    response_class=StreamingResponse,
    responses={
        200: STREAM_DOC,
        400: {"model": ErrorOut, "description": "malformed Last-Event-ID or since"},
        503: {"model": ErrorOut, "description": "too many live clients, or the store is not set up"},
    },
)
async def live(
    request: Request,
    _: Reader,
    container: Annotated[
        list[ContainerId] | None,
        Query(max_length=100, description="only these containers (repeat the parameter); default all"),
    ] = None,
    kinds: Annotated[
        list[ChangeKind] | None, Query(description="only these kinds (repeat); default all three")
    ] = None,
    since: Annotated[
        str | None,
        Query(pattern=CURSOR_PATTERN, description="resume after this cursor (the Last-Event-ID header wins)"),
    ] = None,
    follow: Annotated[bool, Query(description="stay for live changes (false: catch up and close)")] = True,
    last_event_id: Annotated[
        str,
        Header(
            pattern=f"^$|{CURSOR_PATTERN}",
            description="resume after this event id (EventSource sends it itself; empty: none, as in SSE)",
        ),
    ] = "",
) -> StreamingResponse:
    """Live positions, geofence events and alerts as server-sent events (`text/event-stream`).

    Events: `ready` (data: the starting cursor and filters), then `position` (a container's latest fix
    moved), `geofence` and `alert` (raised, or triaged: its row as it is now), with the JSON of the read
    endpoints; each `id` is a change cursor. Reconnect with `Last-Event-ID` (or `since`) to get what
    was missed first. `: heartbeat` comments keep quiet streams open; a client too slow for its bounded
    queue gets `overflow` and is disconnected, to resume the same way. Operators, auditors, admins."""
    resume = last_event_id or since
    if resume is not None:
        try:
            parse_cursor(resume)
        except ValidationError as exc:
            source = "Last-Event-ID" if last_event_id else "since"
            raise HTTPException(status_code=400, detail=f"{source} {resume!r}: {exc.reason}") from None
    filter_ = Filter(
        kinds=frozenset(kinds or CHANGE_KINDS), containers=frozenset(container) if container else None
    )
    hub, sub = hub_of(request), None
    if follow:
        try:
            sub = await hub.subscribe(filter_)  # before the catch-up: what lands meanwhile is queued
        except HubFull as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None
        start = resume if resume is not None else sub.head
    else:
        start = resume if resume is not None else await hub.head()
    events = _events(request, hub, filter_, start, sub, catch_up=resume is not None)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type=MEDIA_TYPE, headers=headers)
