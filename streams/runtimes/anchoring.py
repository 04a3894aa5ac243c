"""Anchoring in a runtime: batcher -> ledger -> store, with the position persisted.

Order matters for crash safety: a batch is anchored on the ledger first, then
its receipt and proofs are stored, then the batcher position is saved. A crash
in between replays the same records into the same batch (same id, same root),
which the ledger accepts as an identical re-anchor.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import msgspec

from cargotrail.contract.records import Alert, AnchorReceipt, GeofenceEvent, Reading, Record, RfidRead
from cargotrail.errors import LedgerUnavailable
from ledger.base import Ledger
from store.base import Repository
from streams.processors.batcher import AnchoringBatcher, BatcherPosition, ClosedBatch

ANCHORED = (Reading, RfidRead, GeofenceEvent, Alert)


def position_key(stream: str) -> str:
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

    def add(self, records: Sequence[Record], now: float, ids: Sequence[str | None] | None = None) -> int:
        """Anchor ``records`` (the anchored kinds among them); ``ids``: their ids where known."""
        if ids is None:
            anchorable = [r for r in records if isinstance(r, ANCHORED)]
            return self._anchor(self.batcher.add(anchorable, now=now))
        pairs = [(r, i) for r, i in zip(records, ids, strict=True) if isinstance(r, ANCHORED)]
        return self._anchor(self.batcher.add([r for r, _ in pairs], now=now, ids=[i for _, i in pairs]))

    def flush(self, now: float) -> int:
        return self._anchor(self.batcher.flush())

    def _anchor(self, closed: list[ClosedBatch]) -> int:
        for batch in closed:
            receipt = self._with_retry(batch)
            self.store.write_anchor(receipt, batch.proofs)
            self.store.put_meta(position_key(self.stream), msgspec.json.encode(batch.position))
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
