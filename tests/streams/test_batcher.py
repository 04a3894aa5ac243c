"""The anchoring batcher: closing rules, proofs, restart without gap or duplicate."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import msgspec
import pytest

from cargotrail.contract.ids import reading_id, rfid_id
from cargotrail.errors import ValidationError
from ledger.core.batch import GENESIS_ROOT, chain_check
from ledger.core.verify import verify_record
from ledger.local import LocalLedger
from streams.processors.batcher import AnchoringBatcher, BatcherPosition, ClosedBatch
from tests.ledger.conftest import T0, mixed_records, reading


def _verify_all(closed: list[ClosedBatch], records: list) -> None:  # type: ignore[type-arg]
    proofs = [p for c in closed for p in c.proofs]
    roots = {c.header.batch_id: c.header.root for c in closed}
    assert len(proofs) == len(records)
    for r, p in zip(records, proofs, strict=True):
        verify_record(r, p, roots[p.batch_id])


def test_closes_every_n_records_and_chains() -> None:
    b = AnchoringBatcher("telemetry", max_records=4, max_seconds=3600)
    records = [reading(i) for i in range(10)]
    closed = b.add(records)
    assert [c.header.size for c in closed] == [4, 4] and b.pending == 2
    closed += b.flush()
    assert [c.header.seq for c in closed] == [0, 1, 2]
    assert closed[0].header.prev_root == GENESIS_ROOT
    assert chain_check([c.header for c in closed]) == []
    assert closed[0].header.first_ts == T0 and closed[0].header.last_ts == T0 + timedelta(seconds=3)
    expected = BatcherPosition(stream="telemetry", next_seq=3, last_root=closed[-1].header.root)
    assert b.position == closed[-1].position == expected
    _verify_all(closed, records)


def test_record_ids_per_type() -> None:
    records = mixed_records()
    (c,) = AnchoringBatcher("s", max_records=4, max_seconds=60).add(records)
    r, rfid, _, _ = records
    assert [p.record_id for p in c.proofs] == [
        reading_id(r.device_id, r.seq),  # type: ignore[union-attr]
        rfid_id(rfid.reader_id, rfid.tag_epc, rfid.ts),  # type: ignore[union-attr]
        "ev-1",
        "al-1",
    ]
    _verify_all([c], records)


def test_device_time_closes_before_a_record_past_the_window() -> None:
    b = AnchoringBatcher("s", max_records=100, max_seconds=5)
    closed = b.add([reading(i) for i in range(12)])  # ts = T0 + i s
    assert [c.header.size for c in closed] == [5, 5] and b.pending == 2
    late = b.add([reading(3, device="trk-2")])  # older than the open batch: joins it
    assert late == [] and b.pending == 3


def test_processing_clock_and_tick() -> None:
    b = AnchoringBatcher("s", max_records=3, max_seconds=10)
    assert b.add([reading(i) for i in range(7)], now=100.0) != []
    assert b.pending == 1
    assert b.tick(109.9) == []
    (c,) = b.tick(110.0)
    assert c.header.size == 1 and b.pending == 0 and b.tick(1000.0) == []
    b.add([reading(20)], now=200.0)
    closed = b.add([reading(21)], now=215.0)  # the aged batch closes before the new record joins
    assert [x.header.size for x in closed] == [1] and b.pending == 1


def test_restart_from_persisted_position_no_gap_no_duplicate(tmp_path: Path) -> None:
    ledger = LocalLedger(tmp_path)
    records = [reading(i) for i in range(25)]
    b = AnchoringBatcher("telemetry", max_records=10, max_seconds=3600)
    closed = b.add(records[:15])
    for c in closed:
        ledger.anchor(c.header)
    saved = msgspec.json.encode(closed[-1].position)  # persisted by the caller
    # Crash: the 5 open records are replayed after the restart.
    b2 = AnchoringBatcher("telemetry", 10, 3600, msgspec.json.decode(saved, type=BatcherPosition))
    closed2 = b2.add(records[10:]) + b2.flush()
    for c in closed2:
        ledger.anchor(c.header)
    headers = ledger.list("telemetry")
    assert [h.seq for h in headers] == [0, 1, 2] and chain_check(headers) == []
    _verify_all(closed + closed2, records)


def test_replay_without_position_is_idempotent_on_the_ledger(tmp_path: Path) -> None:
    ledger = LocalLedger(tmp_path)
    records = [reading(i) for i in range(20)]
    first = [ledger.anchor(c.header) for c in AnchoringBatcher("t", 10, 60).add(records)]
    again = [ledger.anchor(c.header) for c in AnchoringBatcher("t", 10, 60).add(records)]
    assert first == again  # same ids, same roots: the ledger returns the existing receipts


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        AnchoringBatcher("s", 0, 1)
    with pytest.raises(ValueError, match="stream"):
        AnchoringBatcher("s", 1, 1, BatcherPosition(stream="other"))


def test_a_record_that_cannot_be_hashed_leaves_the_open_batch_as_it_was() -> None:
    b = AnchoringBatcher("telemetry", max_records=10, max_seconds=3600)
    b.add([reading(0)], now=0.0)
    naive = msgspec.structs.replace(reading(1), ts=reading(1).ts.replace(tzinfo=None))
    with pytest.raises(ValidationError, match="timezone-aware"):
        b.add([reading(2), naive], now=1.0)
    assert b.pending == 1
    (closed,) = b.flush()
    assert closed.header.size == 1
