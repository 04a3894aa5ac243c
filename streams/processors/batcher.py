"""The anchoring batcher: records in, closed Merkle batches (header + proofs) out.

Pure: no I/O, no clock of its own. One leaf per record (``Reading``,
``RfidRead``, ``GeofenceEvent``, ``Alert``), leaf = SHA-256(0x00 ||
RFC 8785 bytes). A batch closes when it holds ``max_records`` records or when
``max_seconds`` have passed since it opened, on whichever clock the caller
uses:

- ``add(records)`` without ``now`` follows device time: the batch opens at
  its first record's ``ts`` and closes before a record that is
  ``max_seconds`` or more past that (a late record never reopens a batch);
- ``add(records, now=t)`` and ``tick(t)`` follow the caller's processing
  clock: the batch opens at ``t`` and ``tick`` closes it once
  ``t - opened >= max_seconds``. Use one clock per batcher.

Restart contract: every ``ClosedBatch`` carries ``position``, the
``BatcherPosition`` to persist once its header is anchored. A batcher built
from that position numbers its next batch ``position.next_seq`` and links it
to ``position.last_root``, so anchoring continues with no gap and no
duplicate (the ledger refuses anything else).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from ledger.core.batch import GENESIS_ROOT, BatchHeader, batch_id
from ledger.core.leaves import record_leaves
from ledger.core.merkle import tree_levels
from ledger.core.proofs import Anchorable, BatchProofs, record_id


class BatcherPosition(msgspec.Struct, frozen=True, kw_only=True):
    """Where a stream's anchoring stands: the next batch's seq and the last root."""

    stream: str
    next_seq: int = 0
    last_root: str = GENESIS_ROOT


class ClosedBatch(msgspec.Struct, frozen=True, kw_only=True):
    """A closed batch: its header, one proof per record (record order), the position after it."""

    header: BatchHeader
    proofs: BatchProofs  # built lazily, see ledger.core.proofs
    position: BatcherPosition


class AnchoringBatcher:
    """Groups a stream's records into Merkle batches (see the module contract)."""

    def __init__(
        self, stream: str, max_records: int, max_seconds: float, position: BatcherPosition | None = None
    ) -> None:
        if max_records < 1 or max_seconds <= 0:
            raise ValueError(f"batcher {stream!r}: max_records must be >= 1 and max_seconds > 0")
        if position is not None and position.stream != stream:
            raise ValueError(f"position belongs to stream {position.stream!r}, not {stream!r}")
        self.stream = stream
        self.max_records = max_records
        self.max_seconds = max_seconds
        self._position = position or BatcherPosition(stream=stream)
        # The open batch: its records' timestamps, ids and leaves, hashed as they enter so that
        # closing a batch costs only the tree (a close used to stall a worker for the whole batch).
        self._stamps: list[datetime] = []
        self._ids: list[str] = []
        self._leaves: list[bytes] = []
        self._opened: float | None = None

    @property
    def position(self) -> BatcherPosition:
        """The position after the last *closed* batch (open records are not in it)."""
        return self._position

    @property
    def pending(self) -> int:
        """How many records wait in the open batch."""
        return len(self._leaves)

    def add(
        self, records: Sequence[Anchorable], now: float | None = None, ids: Sequence[str | None] | None = None
    ) -> list[ClosedBatch]:
        """Add records in order; return the batches they closed (oldest first).

        ``ids``: the records' ids where the caller has them already (they must be the
        contract ids, ``record_id(record)``); saves hashing them again.
        """
        # All of the input is hashed before any state changes: a bad record raises and leaves the
        # batcher as it was.
        leaves = record_leaves(records)
        known = [
            i if i is not None else record_id(r)
            for r, i in zip(records, ids if ids is not None else [None] * len(records), strict=True)
        ]
        closed: list[ClosedBatch] = []
        limit = self.max_records
        if now is not None:
            # Processing clock: only counts split the input, so take it in slices.
            closed.extend(self.tick(now))
            i, n = 0, len(records)
            while i < n:
                if not self._leaves:
                    self._opened = now
                j = i + limit - len(self._leaves)
                self._stamps.extend(r.ts for r in records[i:j])
                self._ids.extend(known[i:j])
                self._leaves.extend(leaves[i:j])
                i = j
                if len(self._leaves) >= limit:
                    closed.append(self._close())
            return closed
        for r, rid, leaf in zip(records, known, leaves, strict=True):
            ts = r.ts.timestamp()
            if self._opened is not None and ts - self._opened >= self.max_seconds:
                closed.append(self._close())
            if not self._leaves:
                self._opened = ts
            self._stamps.append(r.ts)
            self._ids.append(rid)
            self._leaves.append(leaf)
            if len(self._leaves) >= limit:
                closed.append(self._close())
        return closed

    def tick(self, now: float) -> list[ClosedBatch]:
        """Close the open batch if ``max_seconds`` have passed since it opened."""
        if self._leaves and self._opened is not None and now - self._opened >= self.max_seconds:
            return [self._close()]
        return []

    def flush(self) -> list[ClosedBatch]:
        """Close the open batch now, whatever its age or size (shutdown)."""
        return [self._close()] if self._leaves else []

    def _close(self) -> ClosedBatch:
        stamps, ids, leaves = self._stamps, self._ids, self._leaves
        self._stamps, self._ids, self._leaves, self._opened = [], [], [], None
        pos = self._position
        bid = batch_id(self.stream, pos.next_seq)
        levels = tree_levels(leaves)
        root = levels[-1][0].hex()
        header = BatchHeader(
            batch_id=bid,
            stream=self.stream,
            seq=pos.next_seq,
            root=root,
            size=len(leaves),
            first_ts=min(stamps),
            last_ts=max(stamps),
            prev_root=pos.last_root,
        )
        proofs = BatchProofs(bid, ids, levels)
        self._position = BatcherPosition(stream=self.stream, next_seq=pos.next_seq + 1, last_root=root)
        return ClosedBatch(header=header, proofs=proofs, position=self._position)
