"""More of the contract, on both adapters: zone occupancy, dwell statistics, an auditor's range."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cargotrail.contract import make_container_id, reading_id
from cargotrail.contract.records import (
    AnchorReceipt,
    GeofenceEvent,
    GeofenceKind,
    LedgerKind,
    Proof,
    ZoneType,
)
from ledger.core.hashing import leaf_hashes
from ledger.core.merkle import inclusion_proof_from_levels, tree_levels
from store.base import DwellStats, ZoneOccupancy
from tests.conftest import T0, reading
from tests.store.test_contract import alert

A, B, C, D = (make_container_id("MSC", n) for n in (11, 12, 13, 14))


def ev(
    n: int, kind: GeofenceKind, box: str, zone: str, minutes: float, dwell: float | None = None
) -> GeofenceEvent:
    zone_type = ZoneType.TERMINAL if zone.startswith("T") else ZoneType.CUSTOMS
    return GeofenceEvent(
        event_id=f"e{n}",
        kind=kind,
        container_id=box,
        device_id="TRK-1",
        zone_id=zone,
        zone_type=zone_type,
        ts=T0 + timedelta(minutes=minutes),
        lat=1.0,
        lon=2.0,
        reading_id=f"r{n}",
        dwell_s=dwell,
    )


ENTER, EXIT, DWELL, CROSSED = (
    GeofenceKind.ENTER,
    GeofenceKind.EXIT,
    GeofenceKind.DWELL_EXCEEDED,
    GeofenceKind.CROSSED,
)
EVENTS = [
    ev(1, ENTER, A, "T1", 0),
    ev(2, ENTER, B, "T1", 1),
    ev(3, EXIT, B, "T1", 11, dwell=600),
    ev(4, ENTER, B, "T1", 20),  # back in: inside again
    ev(5, ENTER, C, "C9", 0),
    ev(6, DWELL, C, "C9", 60, dwell=3600),  # overstaying is still inside
    ev(7, CROSSED, D, "T1", 5),  # passed through between two fixes: never inside
    ev(8, ENTER, D, "C9", 30),
    ev(9, EXIT, D, "C9", 30, dwell=0),  # same instant: leaving wins
    ev(10, EXIT, A, "T2", 40, dwell=300),
    ev(11, EXIT, C, "T2", 50, dwell=100),
    ev(12, EXIT, D, "T2", 300, dwell=200),
]


def test_zone_occupancy_now_follows_the_latest_event_per_container(store):
    store.write_events(EVENTS[6:] + EVENTS[:6])  # arrival order does not matter
    assert store.zone_occupancy() == [
        ZoneOccupancy(zone_id="T1", zone_type=ZoneType.TERMINAL, containers=2),
        ZoneOccupancy(zone_id="C9", zone_type=ZoneType.CUSTOMS, containers=1),
    ]
    store.write_events([ev(13, EXIT, A, "T1", 70, dwell=4200), ev(14, EXIT, B, "T1", 71, dwell=3060)])
    store.write_events([ev(4, ENTER, B, "T1", 20)])  # a replayed old event does not undo the exit
    assert [(o.zone_id, o.containers) for o in store.zone_occupancy()] == [("C9", 1)]


def test_dwell_statistics_per_zone_over_a_time_range(store):
    store.write_events(EVENTS)
    stats = {s.zone_id: s for s in store.dwell_stats()}
    assert set(stats) == {"T1", "C9", "T2"}  # dwell_exceeded is not a completed visit
    assert stats["T2"] == DwellStats(
        zone_id="T2",
        zone_type=ZoneType.TERMINAL,
        visits=3,
        mean_s=200.0,
        p50_s=200.0,
        p95_s=300.0,
        max_s=300.0,
    )
    assert (stats["C9"].visits, stats["C9"].max_s) == (1, 0.0)
    t = (T0 + timedelta(minutes=45)).timestamp()
    assert [(s.zone_id, s.visits) for s in store.dwell_stats(start=t)] == [("T2", 2)]
    assert [s.visits for s in store.dwell_stats(end=t, zone_id="T2")] == [1]
    assert store.dwell_stats(zone_id="nowhere") == []


def test_an_audit_range_gives_every_record_exactly_as_stored_with_its_proof(store):
    box = A
    rs = [reading(box, seq=i, minutes=i * 10) for i in range(6)]
    ids = [reading_id(r.device_id, r.seq) for r in rs]
    store.write_readings(rs[:4], ids[:4])
    store.write_readings(rs[4:5], ids[4:5], flag=2)
    e = ev(20, ENTER, box, "T1", 20)
    store.write_events([e])
    store.write_alerts([alert(1, minutes=30).__replace__(container_id=box)])
    leaves = leaf_hashes(i.encode() for i in ids[:2])
    levels = tree_levels(leaves)
    receipt = AnchorReceipt(
        batch_id="b1",
        stream="s",
        root=levels[-1][0].hex(),
        size=2,
        first_ts=rs[0].ts,
        last_ts=rs[1].ts,
        prev_root="",
        ledger=LedgerKind.LOCAL,
        tx_id="tx1",
    )
    proofs = [
        Proof(
            record_id=i,
            batch_id="b1",
            leaf_hash=leaves[n].hex(),
            leaf_index=n,
            tree_size=2,
            path=[h.hex() for h in inclusion_proof_from_levels(levels, n)],
        )
        for n, i in enumerate(ids[:2])
    ]
    store.write_anchor(receipt, proofs)
    store.write_anchor(receipt, proofs)  # idempotent
    got = store.records_for(box, rs[1].ts.timestamp(), rs[4].ts.timestamp())
    assert [(r.kind, r.record_id) for r in got] == [
        ("reading", ids[1]),
        ("geofence", "e20"),
        ("reading", ids[2]),
        ("alert", "a1"),
        ("reading", ids[3]),
        ("reading", ids[4]),  # a GPS jump is not a position, but an auditor sees it
    ]
    assert got[0].body == store.record(ids[1]).body
    assert store.proof(ids[1]) == proofs[1] and store.proof(ids[3]) is None
    assert store.anchor("b1") == receipt and store.anchors("s") == [receipt] and store.anchors("other") == []
    assert len(store.records_for(box, float("-inf"), float("inf"))) == 7


@pytest.mark.parametrize("n", [0, 1])
def test_empty_writes_store_nothing(store, n):
    assert store.write_readings([], []) == 0 and store.write_events([]) == 0 and store.write_alerts([]) == 0
    assert store.zone_occupancy() == [] and store.dwell_stats() == [] and store.latest_positions() == []
