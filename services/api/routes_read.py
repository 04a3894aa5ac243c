"""Read endpoints: containers (latest positions), a container's track, events, RFID reads, DCSA events.

A container the store has never seen has an empty track, event list and RFID list (200, ``[]``); only
its latest position is a 404. Times are RFC 3339; a time without a zone is taken as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from services.api.app import locked_store
from services.api.auth import AUTH_RESPONSES, Principal, can_read
from services.api.dcsa import EquipmentEvent, equipment_events
from services.api.models import ErrorOut, GeofenceEventOut, PositionOut, ReadingOut, RfidReadOut, from_structs
from store.base import Repository

router = APIRouter(prefix="/v1/containers", tags=["containers"], responses=AUTH_RESPONSES)

Reader = Annotated[Principal, Depends(can_read)]
Store = Annotated[Repository, Depends(locked_store)]
ContainerId = Annotated[str, Path(min_length=1, max_length=64, description="ISO 6346 container number")]
Start = Annotated[datetime | None, Query(description="from this time (default: the beginning)")]
End = Annotated[datetime | None, Query(description="up to this time (default: no end)")]


def epoch(t: datetime | None, default: float) -> float:
    if t is None:
        return default
    return (t.replace(tzinfo=UTC) if t.tzinfo is None else t).timestamp()


@router.get("")
def containers(_: Reader, store: Store) -> list[PositionOut]:
    """The latest position of every container tracked."""
    return from_structs(PositionOut, store.latest_positions())


@router.get("/{container_id}", responses={404: {"model": ErrorOut, "description": "never seen"}})
def container(container_id: ContainerId, _: Reader, store: Store) -> PositionOut:
    """The latest position of one container."""
    for p in store.latest_positions():
        if p.container_id == container_id:
            return from_structs(PositionOut, [p])[0]
    raise HTTPException(status_code=404, detail=f"container {container_id} has no position in the store")


@router.get("/{container_id}/track")
def track(
    container_id: ContainerId,
    _: Reader,
    store: Store,
    start: Start = None,
    end: End = None,
    max_points: Annotated[int, Query(ge=2, le=10_000, description="downsample to about this many")] = 2000,
) -> list[ReadingOut]:
    """The container's in-order readings in ``[start, end]``, evenly thinned to about ``max_points``."""
    readings = store.track(container_id, epoch(start, 0.0), epoch(end, float("inf")), max_points)
    return from_structs(ReadingOut, readings)


@router.get("/{container_id}/events")
def events(
    container_id: ContainerId, _: Reader, store: Store, start: Start = None, end: End = None
) -> list[GeofenceEventOut]:
    """The container's geofence events (enter, exit, dwell exceeded, crossed) in ``[start, end]``."""
    found = store.events(container_id, epoch(start, 0.0), epoch(end, float("inf")))
    return from_structs(GeofenceEventOut, found)


@router.get("/{container_id}/rfid")
def rfid(container_id: ContainerId, _: Reader, store: Store) -> list[RfidReadOut]:
    """The container's RFID tag reads (gates, cranes, customs scanners)."""
    return from_structs(RfidReadOut, store.rfid(container_id))


@router.get("/{container_id}/dcsa-events")
def dcsa_events(container_id: ContainerId, _: Reader, store: Store) -> list[EquipmentEvent]:
    """DCSA Track & Trace 3.0 style equipment events (GTIN, GTOT, LOAD, DISC, INSP) with UN/LOCODEs."""
    return equipment_events(store.rfid(container_id), store.events(container_id))
