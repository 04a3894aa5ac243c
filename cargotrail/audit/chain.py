"""The batch chains behind a trail: the ledger's own chain, and the store's anchors against it.

For each stream whose batches hold the trail's records:

- the ledger's headers, from genesis up to the last batch involved, go
  through ``chain_check`` (missing, extra, reordered, re-linked, badly named
  batches). The window starts at genesis because each link needs its
  predecessor's root: only an unbroken chain from the start shows that
  nothing was dropped or inserted before the trail's batches;
- the store's anchor rows over the involved seq range are compared with the
  ledger's receipts, batch by batch: absent on either side, a row holding
  another batch's anchor (reordered), or any field (root first) that differs.

Every problem is a ``ChainProblem`` whose ``detail`` starts with ``ledger:``
or ``store:`` and names the batch, the expected and the found value. Kinds
are ``chain_check``'s, plus ``differs`` (a store row's field is not the
ledger's); in the store, ``missing``/``extra`` are relative to the ledger.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection
from typing import Protocol

import msgspec

from cargotrail.audit.check import LedgerReader, read_anchor, receipt_differences
from cargotrail.contract.records import AnchorReceipt, LedgerKind
from cargotrail.errors import VerificationError
from ledger.base import DEFAULT_LIST_LIMIT
from ledger.core.batch import BatchHeader, ChainProblem, batch_id, chain_check
from store.base import Repository

# Batch ids are one-way (a hash of stream and seq): a batch the ledger does not
# list is placed by trying the seqs just past the ledger's tip.
SEQ_SLACK = 1024


class ChainReader(LedgerReader, Protocol):
    """What the chain check reads from a ledger (``ledger.base.Ledger`` has it all)."""

    def list(
        self, stream: str, after_seq: int | None = None, limit: int = DEFAULT_LIST_LIMIT
    ) -> builtins.list[BatchHeader]: ...


class CachedLedger:
    """Reads through to a ledger once per batch: a trail has many records per batch."""

    def __init__(self, ledger: ChainReader) -> None:
        self._ledger = ledger
        self._receipts: dict[str, AnchorReceipt | None] = {}
        self._verified: dict[bytes, VerificationError | None] = {}

    @property
    def kind(self) -> LedgerKind:
        return self._ledger.kind

    def get(self, batch_id: str) -> AnchorReceipt | None:
        if batch_id not in self._receipts:
            self._receipts[batch_id] = self._ledger.get(batch_id)
        return self._receipts[batch_id]

    def verify_entry(self, receipt: AnchorReceipt) -> None:
        key = msgspec.json.encode(receipt)
        if key not in self._verified:
            try:
                self._ledger.verify_entry(receipt)
                self._verified[key] = None
            except VerificationError as exc:
                self._verified[key] = exc
        error = self._verified[key]
        if error is not None:
            raise error

    def list(
        self, stream: str, after_seq: int | None = None, limit: int = DEFAULT_LIST_LIMIT
    ) -> builtins.list[BatchHeader]:
        return self._ledger.list(stream, after_seq, limit)


def ledger_headers(ledger: ChainReader, stream: str) -> list[BatchHeader]:
    """All of ``stream``'s headers as the ledger lists them, page by page."""
    out: list[BatchHeader] = []
    after: int | None = None
    while True:
        page = ledger.list(stream, after_seq=after, limit=DEFAULT_LIST_LIMIT)
        out.extend(page)
        if len(page) < DEFAULT_LIST_LIMIT or (after is not None and page[-1].seq <= after):
            return out  # (the second test stops a ledger that does not advance)
        after = page[-1].seq


def _problem(kind: str, bid: str, expected: str, found: str, detail: str) -> ChainProblem:
    return ChainProblem(kind=kind, batch_id=bid, expected=expected, found=found, detail=detail)


def _store_vs_ledger(
    store: Repository, ledger: ChainReader, stream: str, seq: int, seq_of: dict[str, int]
) -> list[ChainProblem]:
    bid = batch_id(stream, seq)
    where = f"seq {seq} of stream {stream!r}"
    held = ledger.get(bid)
    try:
        stored = read_anchor(store, bid)
    except VerificationError as exc:
        return [_problem("differs", bid, exc.expected, exc.found, f"store: {exc.what}")]
    if held is None and stored is None:
        return []  # the ledger's chain check names it missing
    if held is None:
        assert stored is not None
        return [
            _problem(
                "extra",
                bid,
                "no anchor (the ledger has no such batch)",
                f"anchor with root {stored.root}",
                f"store: {where} is anchored in the store but absent from the ledger",
            )
        ]
    if stored is None:
        return [
            _problem(
                "missing",
                bid,
                f"an anchor row (ledger root {held.root})",
                "no anchor row",
                f"store: {where} is on the ledger but its anchor is missing from the store",
            )
        ]
    if stored.batch_id != bid:
        other = seq_of.get(stored.batch_id)
        return [
            _problem(
                "reordered",
                bid,
                f"batch {bid} (seq {seq})",
                f"batch {stored.batch_id} (seq {other})",
                f"store: the anchor row of {where} holds another batch's anchor",
            )
        ]
    return [
        _problem("differs", bid, expected, found, f"store: {field} of {where} differs from the ledger")
        for field, expected, found in receipt_differences(held, stored)
    ]


def check_stream(
    store: Repository, ledger: ChainReader, stream: str, batch_ids: Collection[str]
) -> tuple[list[ChainProblem], list[str]]:
    """Problems of ``stream``'s chain around ``batch_ids``, and those ids in seq order."""
    headers = ledger_headers(ledger, stream)
    top = max((h.seq for h in headers), default=-1)
    seq_of = {batch_id(stream, s): s for s in range(top + 1 + SEQ_SLACK)}
    problems: list[ChainProblem] = []
    seqs: list[int] = []
    for bid in sorted(batch_ids):
        if bid in seq_of:
            seqs.append(seq_of[bid])
        else:
            problems.append(
                _problem(
                    "bad_id",
                    bid,
                    f"the id of a seq of stream {stream!r}",
                    bid,
                    "store: batch id belongs to no seq of its stream",
                )
            )
    if not seqs:
        return problems, []
    lo, hi = min(seqs), max(seqs)
    for p in chain_check([h for h in headers if h.seq <= hi], stream=stream, end_seq=hi):
        problems.append(msgspec.structs.replace(p, detail=f"ledger: {p.detail}"))
    for seq in range(lo, hi + 1):
        problems.extend(_store_vs_ledger(store, ledger, stream, seq, seq_of))
    return problems, [batch_id(stream, s) for s in sorted(seqs)]


def check_chains(
    store: Repository, ledger: ChainReader, batch_ids: Collection[str]
) -> tuple[list[ChainProblem], list[str], list[str]]:
    """``check_stream`` for every stream of ``batch_ids``: (problems, batch ids in order, streams)."""
    by_stream: dict[str, set[str]] = {}
    problems: list[ChainProblem] = []
    for bid in batch_ids:
        held = ledger.get(bid)
        try:
            stored = read_anchor(store, bid)
        except VerificationError:
            stored = None  # the record checks name the unreadable row
        stream = held.stream if held is not None else stored.stream if stored is not None else None
        if stream is None:
            problems.append(
                _problem(
                    "missing",
                    bid,
                    "anchored on the ledger",
                    "absent from ledger and store",
                    "ledger: a batch named by the store's proofs is anchored nowhere",
                )
            )
            continue
        by_stream.setdefault(stream, set()).add(bid)
    ordered: list[str] = []
    for stream in sorted(by_stream):
        found, ids = check_stream(store, ledger, stream, by_stream[stream])
        problems.extend(found)
        ordered.extend(ids)
    return problems, ordered, sorted(by_stream)
