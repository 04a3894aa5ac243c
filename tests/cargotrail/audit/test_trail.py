"""verify_trail: a container's whole window of records, and the batch chain behind them."""

from __future__ import annotations

import builtins
from datetime import timedelta

import msgspec
import pytest

from cargotrail.audit import verify_trail
from cargotrail.contract.records import AnchorReceipt
from cargotrail.errors import VerificationError
from ledger.core.batch import BatchHeader, batch_id
from ledger.local import LocalLedger
from tests.cargotrail.audit.conftest import STREAM, DataSet
from tests.cargotrail.audit.tamper import edit_json_row, flip_digit, flip_hex, ids
from tests.conftest import T0
from tests.streams import world

START, END = T0 - timedelta(days=1), T0 + timedelta(days=2)


def _box_ids(data: DataSet) -> set[str]:
    return set(
        ids(
            data,
            "SELECT reading_id FROM readings WHERE container_id = ?1 "
            "UNION ALL SELECT rfid_id FROM rfid_reads WHERE container_id = ?1 "
            "UNION ALL SELECT event_id FROM geofence_events WHERE container_id = ?1 "
            "UNION ALL SELECT alert_id FROM alerts WHERE container_id = ?1",
            world.BOX,
        )
    )


def _batch_of(data: DataSet, rid: str) -> str:
    proof = data.store.proof(rid)
    assert proof is not None
    return proof.batch_id


def test_records_for_returns_every_record_of_the_container_in_the_window(data: DataSet) -> None:
    got = data.store.records_for(world.BOX, START.timestamp(), END.timestamp())
    assert {r.record_id for r in got} == _box_ids(data)
    assert {r.kind for r in got} == {"reading", "rfid", "geofence", "alert"}
    flagged = ids(data, "SELECT reading_id FROM readings WHERE container_id = ? AND flag != 0", world.BOX)
    assert len(flagged) == 2 and set(flagged) <= {r.record_id for r in got}
    hour = data.store.records_for(
        world.BOX, (T0 + timedelta(hours=1)).timestamp(), (T0 + timedelta(hours=2)).timestamp()
    )
    assert 0 < len(hour) < len(got)


def test_a_whole_trail_verifies_with_its_chain(data: DataSet) -> None:
    calls: list[tuple[int, int]] = []
    report = verify_trail(
        data.store, data.ledger, world.BOX, START, END, progress=lambda d, t: calls.append((d, t))
    )
    assert report.ok and report.failed == 0 and report.chain_problems == []
    assert report.records == report.verified == len(_box_ids(data))
    assert calls[-1] == (report.records, report.records) and len(calls) == report.records
    seqs = [batch_id(STREAM, s) for s in range(10)]
    assert report.batches == [b for b in seqs if b in set(report.batches)] and len(report.batches) >= 5
    assert report.streams == [STREAM]
    assert report.to_dict()["ok"] is True


def test_the_window_and_container_bound_the_trail(data: DataSet) -> None:
    t1, t2 = T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    report = verify_trail(data.store, data.ledger, world.BOX, t1.replace(tzinfo=None), t2)
    assert report.ok and 0 < report.records < len(_box_ids(data))
    other = verify_trail(data.store, data.ledger, world.REEFER, START, END)
    assert other.ok and not (_box_ids(data) & {f.record_id for f in other.failures})
    empty = verify_trail(data.store, data.ledger, "MSCU0000000", START, END)
    assert empty.records == 0 and empty.batches == []


def test_a_tampered_record_fails_alone(data: DataSet) -> None:
    (rid,) = ids(data, "SELECT reading_id FROM readings WHERE container_id = ? AND flag = 1", world.BOX)
    ((body,),) = data.sql("SELECT body FROM readings WHERE reading_id = ?", rid)
    data.sql("UPDATE readings SET body = ? WHERE reading_id = ?", flip_digit(bytes(body), "lon"), rid)
    report = verify_trail(data.store, data.ledger, world.BOX, START, END)
    assert not report.ok and report.failed == 1 and report.verified == report.records - 1
    assert report.failures[0].record_id == rid and "leaf hash" in report.failures[0].problem
    assert report.chain_problems == []


def test_a_deleted_store_anchor_row_is_named(data: DataSet) -> None:
    bid = batch_id(STREAM, 2)
    held = data.ledger.get(bid)
    assert held is not None
    data.sql("DELETE FROM anchors WHERE batch_id = ?", bid)
    report = verify_trail(data.store, data.ledger, world.BOX, START, END)
    assert not report.ok
    (problem,) = report.chain_problems
    assert (problem.kind, problem.batch_id, problem.found) == ("missing", bid, "no anchor row")
    assert held.root in problem.expected and problem.detail.startswith("store: seq 2")
    assert report.failures and all(f.batch_id == bid for f in report.failures)


def test_a_tampered_store_root_is_named_with_both_roots(data: DataSet) -> None:
    bid = batch_id(STREAM, 4)
    held = data.ledger.get(bid)
    assert held is not None
    edit_json_row(data, "anchors", "batch_id", bid, {"root": flip_hex(held.root)})
    report = verify_trail(data.store, data.ledger, world.BOX, START, END)
    (problem,) = report.chain_problems
    assert (problem.kind, problem.batch_id) == ("differs", bid)
    assert (problem.expected, problem.found) == (held.root, flip_hex(held.root))
    assert "root of seq 4" in problem.detail


def test_swapped_store_anchor_rows_are_named_reordered(data: DataSet) -> None:
    b2, b3 = batch_id(STREAM, 2), batch_id(STREAM, 3)
    ((body2,),), ((body3,),) = (data.sql("SELECT body FROM anchors WHERE batch_id = ?", b) for b in (b2, b3))
    data.sql("UPDATE anchors SET body = ? WHERE batch_id = ?", body3, b2)
    data.sql("UPDATE anchors SET body = ? WHERE batch_id = ?", body2, b3)
    report = verify_trail(data.store, data.ledger, world.BOX, START, END)
    reordered = [(p.batch_id, p.found) for p in report.chain_problems if p.kind == "reordered"]
    assert reordered == [(b2, f"batch {b3} (seq 3)"), (b3, f"batch {b2} (seq 2)")]
    assert {f.batch_id for f in report.failures} <= {b2, b3} and report.failures
    assert any(f"batch_id of batch {b2} in the store" in f.problem for f in report.failures)


def test_a_batch_dropped_from_the_end_of_the_ledger_is_named(data: DataSet) -> None:
    lines = data.log.read_text().splitlines()
    data.log.write_text("\n".join(lines[:-1]) + "\n")  # a shorter log is still a valid log
    last = batch_id(STREAM, len(lines) - 1)
    data.reopen_ledger()
    (rid,) = ids(
        data, "SELECT CAST(substr(record_ids, 1, 32) AS TEXT) FROM batch_leaves WHERE batch_id = ?", last
    )
    stored = data.store.record(rid)
    assert stored is not None
    container = msgspec.json.decode(stored.body)["container_id"]
    report = verify_trail(data.store, data.ledger, container, START, END)
    assert not report.ok
    extra = [p for p in report.chain_problems if p.kind == "extra"]
    assert [p.batch_id for p in extra] == [last] and "absent from the ledger" in extra[0].detail
    missing = [p for p in report.chain_problems if p.kind == "missing"]
    assert [p.batch_id for p in missing] == [last] and missing[0].detail.startswith("ledger:")
    assert report.failures and all(f.batch_id == last for f in report.failures)
    assert f"batch {last} of record" in report.failures[0].problem and report.failures[0].found == "absent"


@pytest.mark.parametrize("edit", ["drop", "swap"])
def test_a_ledger_log_with_a_dropped_or_swapped_line_refuses_to_open(data: DataSet, edit: str) -> None:
    lines = data.log.read_text().splitlines()
    if edit == "drop":
        del lines[3]
    else:
        lines[3], lines[4] = lines[4], lines[3]
    data.log.write_text("\n".join(lines) + "\n")
    with pytest.raises(VerificationError) as err:
        data.reopen_ledger()
    moved = batch_id(STREAM, 4)  # now on line 4 (entry 3) in both cases
    assert f"local ledger entry 3 (line 4 of {data.log}) batch {moved}" in err.value.what


class _DoctoredLedger:
    """A ledger whose listing drops or reorders headers (what a faulty remote ledger could do)."""

    def __init__(self, inner: LocalLedger, edit: str) -> None:
        self.inner, self.edit, self.kind = inner, edit, inner.kind

    def get(self, bid: str) -> AnchorReceipt | None:
        return self.inner.get(bid)

    def verify_entry(self, receipt: AnchorReceipt) -> None:
        self.inner.verify_entry(receipt)

    def list(
        self, stream: str, after_seq: int | None = None, limit: int = 1000
    ) -> builtins.list[BatchHeader]:
        hs = self.inner.list(stream, after_seq, limit)
        if self.edit == "drop":
            return hs[:2] + hs[3:]
        if self.edit == "reroot":
            return [*hs[:5], msgspec.structs.replace(hs[5], prev_root="ab" * 32), *hs[6:]]
        return [*hs[:2], hs[3], hs[2], *hs[4:]]


@pytest.mark.parametrize(
    ("edit", "kind", "seq"), [("drop", "missing", 2), ("swap", "reordered", 2), ("reroot", "broken_link", 5)]
)
def test_the_ledger_chain_is_checked(data: DataSet, edit: str, kind: str, seq: int) -> None:
    report = verify_trail(data.store, _DoctoredLedger(data.ledger, edit), world.BOX, START, END)
    assert not report.ok
    problems = [(p.kind, p.batch_id) for p in report.chain_problems if p.detail.startswith("ledger:")]
    assert (kind, batch_id(STREAM, seq)) in problems
