"""What a run left in the store, for comparing a crashed-and-restarted run with an uninterrupted one."""

from __future__ import annotations

from dataclasses import dataclass

from cargotrail.contract.ids import reading_id
from cargotrail.contract.records import Reading
from store.base import Repository


@dataclass(frozen=True)
class Outputs:
    counts: dict[str, int]
    events: list[str]  # geofence event ids, sorted
    alerts: list[str]  # alert ids, sorted
    anchors: list[tuple[str, str, str, int]]  # (batch id, previous root, root, size) of each batch


def outputs(store: Repository) -> Outputs:
    containers = sorted({p.container_id for p in store.latest_positions()})
    events = sorted(e.event_id for c in containers for e in store.events(c))
    alerts = sorted(row.alert.alert_id for row in store.alerts(limit=1_000_000))
    anchors = sorted((a.batch_id, a.prev_root, a.root, a.size) for a in store.anchors(limit=1_000_000))
    counts = {k: v for k, v in store.counts().items() if k != "open_alerts"}
    return Outputs(counts, events, alerts, anchors)


def unanchored(store: Repository, readings: list[Reading], out: Outputs) -> list[str]:
    """Ids of the stored records without a proof (readings of ``readings``, events, alerts)."""
    ids = [reading_id(r.device_id, r.seq) for r in readings] + out.events + out.alerts
    return [i for i in ids if store.proof(i) is None]


def anchored_once(out: Outputs) -> bool:
    """As many leaves anchored as records stored (with every record proven: none twice)."""
    c = out.counts
    return c["proofs"] == c["readings"] + c["rfid_reads"] + c["geofence_events"] + c["alerts"]
