"""Batch ids and the chain check: missing, extra, reordered, re-rooted batches are named."""

from __future__ import annotations

import hashlib

from ledger.core.batch import GENESIS_ROOT, BatchHeader, batch_id, chain_check
from tests.ledger.conftest import T0


def chain(n: int, stream: str = "telemetry") -> list[BatchHeader]:
    out, prev = [], GENESIS_ROOT
    for seq in range(n):
        root = hashlib.sha256(f"{stream}{seq}".encode()).hexdigest()
        out.append(
            BatchHeader(
                batch_id=batch_id(stream, seq),
                stream=stream,
                seq=seq,
                root=root,
                size=10,
                first_ts=T0,
                last_ts=T0,
                prev_root=prev,
            )
        )
        prev = root
    return out


def test_batch_id_is_deterministic_and_distinct() -> None:
    assert batch_id("s", 1) == batch_id("s", 1)
    assert len({batch_id("s", 1), batch_id("s", 2), batch_id("t", 1)}) == 3
    assert len(batch_id("s", 1)) == 32


def test_whole_chain_has_no_problems() -> None:
    assert chain_check(chain(5)) == []
    assert chain_check([]) == []
    hs = chain(5)
    assert chain_check(hs[2:], start_seq=2, start_root=hs[1].root, end_seq=4) == []


def test_dropped_batch_is_named_missing() -> None:
    hs = chain(5)
    problems = chain_check([h for h in hs if h.seq != 2])
    assert [(p.kind, p.batch_id) for p in problems] == [("missing", hs[2].batch_id)]
    assert "seq 2" in problems[0].expected


def test_dropped_tail_needs_end_seq() -> None:
    hs = chain(5)
    problems = chain_check(hs[:3], end_seq=4)
    assert [(p.kind, p.batch_id) for p in problems] == [
        ("missing", hs[3].batch_id),
        ("missing", hs[4].batch_id),
    ]


def test_reordered_batches_are_named() -> None:
    hs = chain(5)
    swapped = [hs[0], hs[2], hs[1], hs[3], hs[4]]
    problems = chain_check(swapped)
    assert [(p.kind, p.batch_id) for p in problems] == [("reordered", hs[1].batch_id)]
    assert hs[2].batch_id in problems[0].expected


def test_extra_and_replaced_batches() -> None:
    hs = chain(4)
    forged = BatchHeader(
        batch_id=hs[2].batch_id,
        stream="telemetry",
        seq=2,
        root="ab" * 32,
        size=10,
        first_ts=T0,
        last_ts=T0,
        prev_root=hs[1].root,
    )
    problems = chain_check([*hs, forged])
    assert [(p.kind, p.batch_id) for p in problems] == [("extra", hs[2].batch_id)]
    # A forged batch *replacing* seq 2 breaks the link of seq 3 (a missing original).
    problems = chain_check([hs[0], hs[1], forged, hs[3]])
    assert [(p.kind, p.batch_id) for p in problems] == [("broken_link", hs[3].batch_id)]
    assert problems[0].expected == f"prev_root {'ab' * 32}" and problems[0].found == f"prev_root {hs[2].root}"
    assert hs[3].batch_id in str(problems[0])
    extra_tail = chain_check(chain(5), end_seq=3)
    assert [p.kind for p in extra_tail] == ["extra"]


def test_renumbered_chain_after_drop_breaks_link() -> None:
    hs = chain(4)
    # Drop seq 1 and renumber seq 2 -> 1 (with a matching id): the link exposes it.
    fake = BatchHeader(
        batch_id=batch_id("telemetry", 1),
        stream="telemetry",
        seq=1,
        root=hs[2].root,
        size=10,
        first_ts=T0,
        last_ts=T0,
        prev_root=hs[2].prev_root,
    )
    problems = chain_check([hs[0], fake])
    assert [(p.kind, p.batch_id) for p in problems] == [("broken_link", fake.batch_id)]


def test_bad_id_and_foreign_stream() -> None:
    hs = chain(2)
    other = chain(1, stream="events")[0]
    wrong_id = BatchHeader(
        batch_id="0" * 32,
        stream="telemetry",
        seq=1,
        root=hs[1].root,
        size=10,
        first_ts=T0,
        last_ts=T0,
        prev_root=hs[0].root,
    )
    kinds = [p.kind for p in chain_check([hs[0], other, wrong_id])]
    assert kinds == ["foreign_stream", "bad_id"]
