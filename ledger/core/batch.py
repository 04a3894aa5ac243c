"""Batch headers (what gets anchored) and the chain check over them.

A stream's batches form a chain: batch ``seq`` carries the root of batch
``seq - 1`` as ``prev_root`` (``GENESIS_ROOT`` for seq 0), so a batch that is
dropped, inserted, swapped or re-rooted breaks a link somewhere.

``chain_check`` is pure: it takes headers in the order a ledger or store
listed them and names every problem with batch ids, expected and found, so
an auditor's report can say *which* batch is missing, not just "bad chain".
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

import msgspec

from cargotrail.contract.records import AnchorReceipt, LedgerKind

GENESIS_ROOT = "0" * 64


def batch_id(stream: str, seq: int) -> str:
    """Deterministic batch id: 32 hex of SHA-256 over stream and sequence number.

    A replay after a crash re-creates the same id, so a ledger can tell an
    identical re-anchor (idempotent) from a conflicting one (refused).
    """
    return hashlib.sha256(f"batch\x1f{stream}\x1f{seq}".encode()).hexdigest()[:32]


class BatchHeader(msgspec.Struct, frozen=True, kw_only=True):
    """What the ledger anchors for one closed batch (roots are lowercase hex)."""

    batch_id: str
    stream: str
    seq: int
    root: str
    size: int
    first_ts: datetime
    last_ts: datetime
    prev_root: str

    def receipt(self, *, ledger: LedgerKind, tx_id: str, block: int | None) -> AnchorReceipt:
        """The contract receipt for this header once a ledger has recorded it."""
        return AnchorReceipt(
            batch_id=self.batch_id,
            stream=self.stream,
            root=self.root,
            size=self.size,
            first_ts=self.first_ts,
            last_ts=self.last_ts,
            prev_root=self.prev_root,
            ledger=ledger,
            tx_id=tx_id,
            block=block,
        )


def header_from_receipt(receipt: AnchorReceipt, seq: int) -> BatchHeader:
    """The header a receipt anchors (receipts do not carry ``seq``; the ledger does)."""
    return BatchHeader(
        batch_id=receipt.batch_id,
        stream=receipt.stream,
        seq=seq,
        root=receipt.root,
        size=receipt.size,
        first_ts=receipt.first_ts,
        last_ts=receipt.last_ts,
        prev_root=receipt.prev_root,
    )


class ChainProblem(msgspec.Struct, frozen=True, kw_only=True):
    """One break in a stream's batch chain.

    ``kind`` is one of ``missing``, ``extra``, ``reordered``, ``broken_link``,
    ``bad_id``, ``foreign_stream``; ``batch_id`` names the batch concerned
    (for ``missing``: the id the absent batch must have).
    """

    kind: str
    batch_id: str
    expected: str
    found: str
    detail: str

    def __str__(self) -> str:
        where = f"{self.kind}: batch {self.batch_id}: {self.detail}"
        return f"{where} (expected {self.expected}, found {self.found})"


def chain_check(
    headers: Sequence[BatchHeader],
    *,
    stream: str | None = None,
    start_seq: int = 0,
    start_root: str = GENESIS_ROOT,
    end_seq: int | None = None,
) -> list[ChainProblem]:
    """Every problem in ``headers`` as a chain of one stream, in listed order.

    ``start_seq``/``start_root`` say where the window starts (seq 0 and the
    genesis root for a whole chain); ``end_seq``, when the ledger knows it,
    is the last seq that must be present. An empty list means the chain is
    whole: seqs ``start_seq..`` in order, each linked to the one before.
    """
    problems: list[ChainProblem] = []
    if not headers:
        return problems
    stream = headers[0].stream if stream is None else stream

    def add(kind: str, bid: str, expected: object, found: object, detail: str) -> None:
        problems.append(
            ChainProblem(kind=kind, batch_id=bid, expected=str(expected), found=str(found), detail=detail)
        )

    kept: dict[int, BatchHeader] = {}
    prev_listed: BatchHeader | None = None
    for h in headers:
        if h.stream != stream:
            add("foreign_stream", h.batch_id, stream, h.stream, "batch belongs to another stream")
            continue
        if h.batch_id != batch_id(h.stream, h.seq):
            add("bad_id", h.batch_id, batch_id(h.stream, h.seq), h.batch_id, f"id does not match seq {h.seq}")
        if h.seq in kept or h.seq < start_seq or (end_seq is not None and h.seq > end_seq):
            add("extra", h.batch_id, f"no batch at seq {h.seq}", f"root {h.root}", "batch not in the chain")
            continue
        if prev_listed is not None and h.seq < prev_listed.seq:
            add(
                "reordered",
                h.batch_id,
                f"seq {h.seq} before {prev_listed.batch_id} (seq {prev_listed.seq})",
                f"seq {h.seq} after it",
                "batches listed out of order",
            )
        kept[h.seq] = h
        prev_listed = h

    last = max(kept) if kept else start_seq - 1
    if end_seq is not None:
        last = max(last, end_seq)
    prev_root: str | None = start_root
    for seq in range(start_seq, last + 1):
        h_or_none = kept.get(seq)
        if h_or_none is None:
            add(
                "missing", batch_id(stream, seq), f"batch seq {seq}", "nothing", "batch absent from the chain"
            )
            prev_root = None  # the next link cannot be checked against an absent root
            continue
        if prev_root is not None and h_or_none.prev_root != prev_root:
            found = f"prev_root {h_or_none.prev_root}"
            detail = f"seq {seq} does not follow the batch before it"
            add("broken_link", h_or_none.batch_id, f"prev_root {prev_root}", found, detail)
        prev_root = h_or_none.root
    return problems
