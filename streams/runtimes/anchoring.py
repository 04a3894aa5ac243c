"""Anchoring in a runtime: batcher -> ledger -> store, with the position persisted.

Order matters for crash safety: a batch is anchored on the ledger first, then
its receipt and proofs are stored, then the batcher position is saved. A crash
in between replays the same records into the same batch (same id, same root),
which the ledger accepts as an identical re-anchor.

The open batch is in memory until it closes; ``resume`` makes it durable: from then on each
``add`` keeps its records in the store's inbox (box ``inbox_box(stream)``, msgpack) in the
caller's unit of work (where they are stored), entries are dropped once their records are
anchored (the count anchored is saved with the position), and what a crash left unanchored is
added again first. Every stored record is then anchored exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import msgspec

from cargotrail.contract.records import Alert, AnchorReceipt, GeofenceEvent, Reading, Record, RfidRead
from cargotrail.errors import LedgerUnavailable, StoreCorrupt
from ledger.base import Ledger
from store.base import Repository
from streams.processors.batcher import AnchoringBatcher, BatcherPosition, ClosedBatch

ANCHORED = (Reading, RfidRead, GeofenceEvent, Alert)
RESUME_PAGE = 200  # inbox entries read at a time by ``resume``


class Pending(msgspec.Struct, array_like=True, frozen=True):
    """One ``add``'s anchored records (tagged: their kind is in the encoding) and ids where known."""

    records: list[Reading | RfidRead | GeofenceEvent | Alert]
    ids: list[str | None]


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Pending)


def position_key(stream: str) -> str:
    return f"anchoring:{stream}"


def anchored_key(stream: str) -> str:
    """Meta key: how many records ``add`` was given (while durable) that are anchored."""
    return f"anchoring:{stream}:anchored"


def inbox_box(stream: str) -> str:
    return f"anchoring:{stream}"


class LedgerAnchoring:
    """Implements the runtime's ``Anchoring`` slot for any ``Ledger``.

    Batches close every ``max_records`` records or ``max_seconds`` on the
    runtime's clock (the simulator's clock in simulated runs, so they are
    reproducible). ``LedgerUnavailable`` is retried with backoff up to
    ``retry_s``; other ledger errors propagate with the batch id.
    """

    def __init__(
        self,
        ledger: Ledger,
        store: Repository,
        *,
        stream: str,
        max_records: int,
        max_seconds: float,
        retry_s: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.ledger = ledger
        self.store = store
        self.stream = stream
        raw = store.get_meta(position_key(stream))
        position = msgspec.json.decode(raw, type=BatcherPosition) if raw else None
        self.batcher = AnchoringBatcher(stream, max_records, max_seconds, position)
        self.retry_s = retry_s
        self.sleep = sleep
        self.anchored_records = 0
        self._durable = False
        self._added = 0  # records added while durable, ever (the inbox marks count them)
        self._anchored = 0  # of which anchored

    def add(self, records: Sequence[Record], now: float, ids: Sequence[str | None] | None = None) -> int:
        """Anchor ``records`` (the anchored kinds among them); ``ids``: their ids where known."""
        known = ids if ids is not None else [None] * len(records)
        pairs = [(r, i) for r, i in zip(records, known, strict=True) if isinstance(r, ANCHORED)]
        kept = [r for r, _ in pairs]
        kept_ids = [i for _, i in pairs]
        if self._durable and kept:
            self._added += len(kept)
            body = _encoder.encode(Pending(kept, kept_ids))
            self.store.inbox_add(inbox_box(self.stream), float(self._added), body)
        return self._anchor(self.batcher.add(kept, now=now, ids=kept_ids))

    def resume(self, now: float) -> int:
        """Make the open batch durable (see the module docstring); add again what a crash left unanchored.

        Call it once, before the first ``add``. Returns how many records were added again.
        """
        box = inbox_box(self.stream)
        raw = self.store.get_meta(anchored_key(self.stream))
        anchored = self._anchored = self._added = msgspec.json.decode(raw, type=int) if raw else 0
        self._durable = True
        again, after = 0, 0
        while page := self.store.inbox(box, after=after, limit=RESUME_PAGE):
            for entry in page:
                try:
                    pending = _decoder.decode(entry.body)
                except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                    raise StoreCorrupt(f"inbox {box} entry {entry.seq} is unreadable: {exc}") from exc
                end = int(entry.mark)
                skip = max(0, anchored - (end - len(pending.records)))  # anchored before the crash
                records, ids = pending.records[skip:], pending.ids[skip:]
                self._added = max(self._added, end)
                again += len(records)
                self._anchor(self.batcher.add(records, now=now, ids=ids))
            after = page[-1].seq
        return again

    def flush(self, now: float) -> int:
        return self._anchor(self.batcher.flush())

    def _anchor(self, closed: list[ClosedBatch]) -> int:
        for batch in closed:
            receipt = self._with_retry(batch)
            with self.store.unit_of_work():  # the receipt, the position and the count: all or none
                self.store.write_anchor(receipt, batch.proofs)
                self.store.put_meta(position_key(self.stream), msgspec.json.encode(batch.position))
                if self._durable:
                    self._anchored += batch.header.size
                    self.store.put_meta(anchored_key(self.stream), msgspec.json.encode(self._anchored))
                    self.store.inbox_done(inbox_box(self.stream), float(self._anchored))
            self.anchored_records += batch.header.size
        return len(closed)

    def _with_retry(self, batch: ClosedBatch) -> AnchorReceipt:
        delay, waited = 0.5, 0.0
        while True:
            try:
                return self.ledger.anchor(batch.header)
            except LedgerUnavailable:
                if waited >= self.retry_s:
                    raise
                self.sleep(delay)
                waited += delay
                delay = min(delay * 2, 10.0)
