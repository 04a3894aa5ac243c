"""The one repository interface that the sink, the API and the dashboard use.

Adapters (SQLite embedded, PostgreSQL) are held to the same contract tests.
Every write is idempotent by deterministic id: writing the same record twice
stores it once, so a replay after a crash changes nothing.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Literal, Protocol

import msgspec

from cargotrail.contract.records import (
    Alert,
    AnchorReceipt,
    GeofenceEvent,
    Proof,
    Reading,
    RfidRead,
    Severity,
    VoyagePlan,
    ZoneType,
)
from cargotrail.contract.validate import Rejection
from cargotrail.errors import StoreCorrupt, ValidationError
from geofence.zones import Zone
from ledger.core.merkle import inclusion_proof_from_levels

SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3}


class ReadingFlag(enum.IntEnum):
    """How a stored reading was used: every reading is kept for the audit trail."""

    IN_ORDER = 0  # processed, shown as a position
    LATE = 1  # arrived after the watermark: stored and anchored, not replayed through the rules
    GPS_JUMP = 2  # rejected as an impossible jump: never shown as a position


class AlertStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


class TriageAction(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    ASSIGN = "assign"
    RESOLVE = "resolve"


#: The status an alert takes after each triage action (the same on every adapter).
TRIAGE_STATUS = {
    TriageAction.ACKNOWLEDGE: AlertStatus.ACKNOWLEDGED,
    TriageAction.ASSIGN: AlertStatus.ASSIGNED,
    TriageAction.RESOLVE: AlertStatus.RESOLVED,
}


class Position(msgspec.Struct, frozen=True, kw_only=True):
    """The latest fix of one container."""

    container_id: str
    device_id: str
    reading_id: str
    ts: float
    lat: float
    lon: float
    speed_kmh: float | None = None
    temperature_c: float | None = None


class AlertRow(msgspec.Struct, frozen=True, kw_only=True):
    """An alert with its triage status."""

    alert: Alert
    status: AlertStatus
    assignee: str | None = None
    updated_ts: float | None = None


class TriageEntry(msgspec.Struct, frozen=True, kw_only=True):
    alert_id: str
    ts: float
    action: str
    operator: str
    note: str = ""


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    ts: float
    rejection: Rejection
    replayed: bool = False


class StoredRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A record exactly as stored (``body``), for auditors to re-hash."""

    record_id: str
    kind: str  # reading | rfid | geofence | alert
    body: bytes


class ZoneOccupancy(msgspec.Struct, frozen=True, kw_only=True):
    """How many containers are inside one zone now.

    A container is inside when its latest geofence event for the zone is
    ``enter`` or ``dwell_exceeded``; at equal times an ``exit`` or ``crossed``
    wins (it leaves the container outside).
    """

    zone_id: str
    zone_type: ZoneType
    containers: int


class DwellStats(msgspec.Struct, frozen=True, kw_only=True):
    """Dwell times of the completed visits of one zone (its ``exit`` events carrying ``dwell_s``).

    Percentiles are nearest-rank: ``p50_s`` is the ceil(0.5 n)-th smallest dwell.
    """

    zone_id: str
    zone_type: ZoneType
    visits: int
    mean_s: float
    p50_s: float
    p95_s: float
    max_s: float


ChangeKind = Literal["position", "geofence", "alert"]
CHANGE_KINDS: tuple[ChangeKind, ...] = ("position", "geofence", "alert")
CURSOR_PATTERN = r"^(0|[1-9][0-9]{0,17})\.(0|[1-9][0-9]{0,17})$"  # below 2**63 each
_CURSOR = re.compile(CURSOR_PATTERN)


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """One change the live feed pushes, with the cursor just after it (``changes_after``).

    Exactly one of ``position`` (a container's latest fix moved), ``event`` (a geofence event was
    stored) and ``alert`` (an alert was raised or triaged: its row as it is now) is set, per ``kind``.
    """

    cursor: str
    kind: ChangeKind
    container_id: str
    position: Position | None = None
    event: GeofenceEvent | None = None
    alert: AlertRow | None = None


def parse_cursor(cursor: str) -> tuple[int, int]:
    """A change cursor (``"<major>.<minor>"``, two unsigned integers) as a comparable pair.

    Cursors of one store increase with every change in the order changes become visible; comparing
    their pairs orders them. Anything else is a ``ValidationError`` naming the cursor.
    """
    m = _CURSOR.match(cursor)
    if m is None:
        reason = "a change cursor is two unsigned integers of at most 18 digits, like '0.42'"
        raise ValidationError(reason, field="cursor", record=cursor[:64])
    return int(m.group(1)), int(m.group(2))


def format_cursor(major: int, minor: int) -> str:
    return f"{major}.{minor}"


PRUNED_THROUGH = "live_changes.pruned_through"  # meta key: the newest cursor retention has dropped


class CursorExpired(ValidationError):
    """A change cursor older than what the change log still keeps (``Repository.prune_changes``).

    Changes after it may have been dropped: the reader must resync from the read endpoints (positions,
    alerts, events) and follow from a fresh cursor. ``horizon`` is the newest dropped cursor.
    """

    def __init__(self, cursor: str, horizon: str) -> None:
        self.cursor, self.horizon = cursor, horizon
        reason = (
            f"the change log no longer holds the changes after this cursor (pruned through {horizon}): "
            "resync from the read endpoints, then follow from a fresh cursor"
        )
        super().__init__(reason, field="cursor", record=cursor)


def check_horizon(cursor: str, horizon: bytes | None) -> None:
    """Raise ``CursorExpired`` when ``cursor`` is older than the stored ``horizon`` (``PRUNED_THROUGH``).

    Adapters read the horizon after the changes: a prune that removed any of them has moved it by then.
    """
    if horizon is not None and parse_cursor(cursor) < parse_cursor(horizon.decode()):
        raise CursorExpired(cursor, horizon.decode())


class ZoneAction(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


class ZoneChange(msgspec.Struct, frozen=True, kw_only=True):
    """One change to the geofences, for the audit log: who created, edited or deleted which zone, when.

    ``feature`` is the zone as a GeoJSON Feature (compact JSON): as saved, or as it was when deleted.
    """

    zone_id: str
    ts: float
    action: ZoneAction
    operator: str
    feature: str
    note: str = ""


class InboxEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of a durable inbox (``Repository.inbox_add``): ``seq`` orders entries as they were added.

    ``mark`` says when the entry is done (``inbox_done``); ``body`` is opaque to the store (its writer's
    encoding).
    """

    seq: int
    box: str
    mark: float
    body: bytes


def nearest_rank(sorted_values: Sequence[float], p: float) -> float:
    """The nearest-rank ``p`` percentile of ascending ``sorted_values`` (SQL ``percentile_disc``)."""
    return sorted_values[max(0, math.ceil(p * len(sorted_values)) - 1)]


ID_WIDTH = 32  # every contract id is 32 hex characters (cargotrail.contract.ids)


def index_of(record_ids: bytes, record_id: str) -> int | None:
    """Position of ``record_id`` in a batch's packed ids (``ID_WIDTH`` bytes each), or None."""
    needle = record_id.encode("ascii", "replace")
    if len(needle) != ID_WIDTH:
        return None
    at = record_ids.find(needle)
    while at >= 0 and at % ID_WIDTH:  # only whole, aligned ids count
        at = record_ids.find(needle, at + 1)
    return None if at < 0 else at // ID_WIDTH


def split_leaves(batch_id: str, blob: bytes | None) -> list[bytes]:
    """A batch's stored leaf hashes (32 bytes each, concatenated) as a list."""
    if blob is None or not blob or len(blob) % 32:
        size = "missing" if blob is None else f"{len(blob)} bytes"
        raise StoreCorrupt(
            f"leaves of batch {batch_id} in the store are unreadable ({size}, "
            "expected a non-empty multiple of 32 bytes)"
        )
    return [blob[i : i + 32] for i in range(0, len(blob), 32)]


def proof_from_leaves(record_id: str, batch_id: str, index: int, levels: list[list[bytes]]) -> Proof:
    """Recompute one record's inclusion proof from its batch's tree levels."""
    size = len(levels[0])
    if not 0 <= index < size:
        raise StoreCorrupt(
            f"proof of record {record_id} in the store: leaf index {index} is outside "
            f"batch {batch_id} of {size} leaves"
        )
    path = [h.hex() for h in inclusion_proof_from_levels(levels, index)]
    return Proof(
        record_id=record_id,
        batch_id=batch_id,
        leaf_hash=levels[0][index].hex(),
        leaf_index=index,
        tree_size=size,
        path=path,
    )


class Repository(Protocol):
    """What every store adapter provides. Times are epoch seconds (UTC)."""

    def unit_of_work(self) -> AbstractContextManager[None]:
        """Writes inside commit together (or not at all)."""
        ...

    def write_readings(
        self, readings: Sequence[Reading], ids: Sequence[str], *, flag: ReadingFlag = ReadingFlag.IN_ORDER
    ) -> int: ...
    def write_rfid(self, reads: Sequence[RfidRead]) -> int: ...
    def write_events(self, events: Sequence[GeofenceEvent]) -> int: ...
    def write_alerts(self, alerts: Sequence[Alert]) -> int: ...
    def write_plans(self, plans: Sequence[VoyagePlan], seen_ts: float) -> int: ...
    def write_dead_letters(self, rejections: Sequence[Rejection], ts: float) -> int: ...
    def write_anchor(self, receipt: AnchorReceipt, proofs: Sequence[Proof]) -> None: ...
    def put_meta(self, key: str, value: bytes) -> None: ...
    def get_meta(self, key: str) -> bytes | None: ...

    def inbox_add(self, box: str, mark: float, body: bytes) -> None:
        """Keep ``body`` in inbox ``box`` until ``inbox_done(box, upto)`` reaches its ``mark``.

        A runtime writes it in the unit of work that acknowledges or stores what it holds, so a crash
        cannot lose it; boxes (a runtime's readings, a stream's unanchored records) are independent.
        """
        ...

    def inbox_done(self, box: str, upto: float) -> int:
        """Drop the entries of ``box`` whose ``mark <= upto``; how many."""
        ...

    def inbox(self, box: str, *, after: int = 0, limit: int = 1000) -> list[InboxEntry]:
        """Up to ``limit`` entries ``box`` still keeps with ``seq > after``, oldest first (page on by seq).

        What a restarted runtime takes up again.
        """
        ...

    def latest_positions(self) -> list[Position]: ...
    def track(self, container_id: str, start: float, end: float, max_points: int = 2000) -> list[Reading]: ...
    def alerts(
        self, *, status: AlertStatus | None = None, container_id: str | None = None, limit: int = 500
    ) -> list[AlertRow]: ...
    def triage(
        self,
        alert_id: str,
        action: TriageAction,
        operator: str,
        *,
        assignee: str | None = None,
        note: str = "",
    ) -> AlertRow: ...
    def triage_log(self, alert_id: str) -> list[TriageEntry]: ...
    def events(
        self, container_id: str, start: float = 0.0, end: float = float("inf")
    ) -> list[GeofenceEvent]: ...
    def rfid(self, container_id: str) -> list[RfidRead]: ...
    def plans(self, container_id: str) -> list[VoyagePlan]: ...
    def dead_letters(self, limit: int = 200) -> list[DeadLetter]: ...
    def counts(self) -> dict[str, int]: ...
    def record(self, record_id: str) -> StoredRecord | None: ...
    def stored_reading_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are ids of stored readings (of any flag), by the readings' primary key.

        The embedded runtime asks about its late readings, to drop copies of readings it took before.
        """
        ...

    def records_for(self, container_id: str, start: float, end: float) -> list[StoredRecord]:
        """Every anchored record of ``container_id`` with ``start <= ts <= end``, exactly as stored.

        Readings of every flag (in order, late, GPS jump), RFID reads, geofence
        events and alerts, ordered by ``ts`` (then kind, then id). Never thinned
        (unlike ``track``): an auditor must see all of them.
        """
        ...

    def zone_occupancy(self) -> list[ZoneOccupancy]:
        """Containers inside each zone now (see ``ZoneOccupancy``), most occupied first, then by zone id.

        Zones nobody is inside are left out.
        """
        ...

    def dwell_stats(
        self, start: float = 0.0, end: float = float("inf"), *, zone_id: str | None = None
    ) -> list[DwellStats]:
        """Per zone (by zone id): the visits that ended (exit ``ts``) in ``[start, end]``."""
        ...

    def change_head(self) -> str:
        """The cursor of now: ``changes_after`` it misses no change committed later.

        On PostgreSQL it may also return changes committed shortly before (while an older
        transaction was still open): a feed starting at the head delivers at least once.
        """
        ...

    def changes_after(self, cursor: str, limit: int = 500) -> list[Change]:
        """Up to ``limit`` changes after ``cursor`` (``"0.0"``: from the first), oldest first.

        A change is a latest position that moved, a geofence event stored, or an alert raised or
        triaged. Each carries the cursor just after it; resuming from any of them misses nothing and
        repeats nothing: a change is returned only once everything that could sort before it is
        committed. A position or alert changed again is returned once, in its newest state.
        Rows stored before the store had change cursors are not returned. A malformed cursor is a
        ``ValidationError``; a cursor older than what ``prune_changes`` kept is ``CursorExpired``.
        """
        ...

    def prune_changes(self, keep: int) -> int:
        """Drop all but the newest ``keep`` (at least 1) changes of the log; return how many were dropped.

        Retention of the live feed: the log otherwise keeps an entry per geofence event and per alert
        forever. Afterwards ``changes_after`` any cursor older than the newest dropped one raises
        ``CursorExpired`` (never a silent gap); later cursors lose nothing. On PostgreSQL only
        changes every reader can already see are counted and dropped.
        """
        ...

    def zones(self) -> list[Zone]:
        """The geofences saved in the store (``save_zones``), by zone id, each equal to the one saved."""
        ...

    def save_zones(self, zones: Sequence[Zone], operator: str, *, note: str = "") -> int:
        """Create or replace ``zones`` (by zone id) and log each change with ``operator``'s name.

        Saving a zone equal to the stored one changes nothing and logs nothing.
        Returns how many zones were created or changed; an empty ``operator`` is a ``StoreError``.
        """
        ...

    def delete_zone(self, zone_id: str, operator: str, *, note: str = "") -> bool:
        """Delete one zone and log it with ``operator``'s name; False (and no log) when there is none."""
        ...

    def zone_log(self, zone_id: str | None = None, limit: int = 500) -> list[ZoneChange]:
        """The zone changes, newest first (of one zone when ``zone_id`` is given)."""
        ...

    def proof(self, record_id: str) -> Proof | None: ...
    def anchor(self, batch_id: str) -> AnchorReceipt | None: ...
    def anchors(self, stream: str | None = None, limit: int = 1000) -> list[AnchorReceipt]: ...
    def close(self) -> None: ...
