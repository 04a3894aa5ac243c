"""Reads passed straight to another repository (the half of ``BufferedStore`` that never buffers)."""

from __future__ import annotations

from collections.abc import Sequence

from cargotrail.contract.records import AnchorReceipt, GeofenceEvent, Proof, Reading, RfidRead, VoyagePlan
from geofence.zones import Zone
from store.base import (
    AlertRow,
    AlertStatus,
    Change,
    DeadLetter,
    DwellStats,
    InboxEntry,
    Position,
    Repository,
    StoredRecord,
    TriageAction,
    TriageEntry,
    ZoneChange,
    ZoneOccupancy,
)


class ReadThrough:
    """Every query, and triage (an operator waits for its answer), go to ``inner`` as they are."""

    def __init__(self, inner: Repository):
        self.inner = inner

    def get_meta(self, key: str) -> bytes | None:
        return self.inner.get_meta(key)

    def inbox(self, box: str, *, after: int = 0, limit: int = 1000) -> list[InboxEntry]:
        return self.inner.inbox(box, after=after, limit=limit)

    def change_head(self) -> str:
        return self.inner.change_head()

    def changes_after(self, cursor: str, limit: int = 500) -> list[Change]:
        return self.inner.changes_after(cursor, limit)

    def prune_changes(self, keep: int) -> int:
        return self.inner.prune_changes(keep)

    def latest_positions(self) -> list[Position]:
        return self.inner.latest_positions()

    def track(self, container_id: str, start: float, end: float, max_points: int = 2000) -> list[Reading]:
        return self.inner.track(container_id, start, end, max_points)

    def alerts(
        self, *, status: AlertStatus | None = None, container_id: str | None = None, limit: int = 500
    ) -> list[AlertRow]:
        return self.inner.alerts(status=status, container_id=container_id, limit=limit)

    def triage(
        self,
        alert_id: str,
        action: TriageAction,
        operator: str,
        *,
        assignee: str | None = None,
        note: str = "",
    ) -> AlertRow:
        return self.inner.triage(alert_id, action, operator, assignee=assignee, note=note)

    def triage_log(self, alert_id: str) -> list[TriageEntry]:
        return self.inner.triage_log(alert_id)

    def events(self, container_id: str, start: float = 0.0, end: float = float("inf")) -> list[GeofenceEvent]:
        return self.inner.events(container_id, start, end)

    def rfid(self, container_id: str) -> list[RfidRead]:
        return self.inner.rfid(container_id)

    def plans(self, container_id: str) -> list[VoyagePlan]:
        return self.inner.plans(container_id)

    def dead_letters(self, limit: int = 200) -> list[DeadLetter]:
        return self.inner.dead_letters(limit)

    def counts(self) -> dict[str, int]:
        return self.inner.counts()

    def record(self, record_id: str) -> StoredRecord | None:
        return self.inner.record(record_id)

    def stored_reading_ids(self, ids: Sequence[str]) -> set[str]:
        return self.inner.stored_reading_ids(ids)

    def records_for(self, container_id: str, start: float, end: float) -> list[StoredRecord]:
        return self.inner.records_for(container_id, start, end)

    def zone_occupancy(self) -> list[ZoneOccupancy]:
        return self.inner.zone_occupancy()

    def dwell_stats(
        self, start: float = 0.0, end: float = float("inf"), *, zone_id: str | None = None
    ) -> list[DwellStats]:
        return self.inner.dwell_stats(start, end, zone_id=zone_id)

    # Zone edits are an admin's, who waits for the answer: straight through, like triage.
    def zones(self) -> list[Zone]:
        return self.inner.zones()

    def save_zones(self, zones: Sequence[Zone], operator: str, *, note: str = "") -> int:
        return self.inner.save_zones(zones, operator, note=note)

    def delete_zone(self, zone_id: str, operator: str, *, note: str = "") -> bool:
        return self.inner.delete_zone(zone_id, operator, note=note)

    def zone_log(self, zone_id: str | None = None, limit: int = 500) -> list[ZoneChange]:
        return self.inner.zone_log(zone_id, limit)

    def proof(self, record_id: str) -> Proof | None:
        return self.inner.proof(record_id)

    def anchor(self, batch_id: str) -> AnchorReceipt | None:
        return self.inner.anchor(batch_id)

    def anchors(self, stream: str | None = None, limit: int = 1000) -> list[AnchorReceipt]:
        return self.inner.anchors(stream, limit)

    def close(self) -> None:
        self.inner.close()
