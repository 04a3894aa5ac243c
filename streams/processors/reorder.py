"""Device-time reordering with an explicit lateness bound.

Readings are held until the watermark (the newest device time seen minus the
lateness bound) passes them, then released in time order. A reading older
than what has already been released is *late*: it is handed back separately
so that it is stored and anchored, but never replayed through the stateful
rules as if it were new (no stale enter/exit).

Release order is total and independent of arrival order: (ts, device, seq),
ties kept in arrival order.

How (not part of the contract): what is held is a ``ReadingTable`` (numpy
columns), so a micro-batch costs a few array sorts rather than a Python tuple
and key per reading. Devices sort by a rank that follows Python's string order
(``DeviceRanks``), so the order is exactly the one ``sorted`` gives on
``(ts, device_id, seq)``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from streams.processors.devices import DeviceRanks
from streams.processors.table import ReadingTable

Ints = npt.NDArray[np.int64]

_INF = float("inf")


class ReorderBuffer:
    """Holds readings until the watermark passes them; see the module docstring.

    Tables pushed in must take their device codes from ``devices``.
    """

    def __init__(self, lateness_s: float) -> None:
        self.lateness_s = lateness_s
        self.released_until = -_INF  # the watermark: everything up to here is out
        self.devices = DeviceRanks()
        self.max_seen = -_INF  # the newest device time seen (or vouched for by the source)
        self.held = ReadingTable.empty()  # in release order, then as arrived

    def push(
        self, table: ReadingTable, source_time: float | None = None
    ) -> tuple[ReadingTable, ReadingTable]:
        """Add readings; return (released in time order, late).

        ``source_time``: the device time the source vouches it has reached (a
        simulator's step, a feed's heartbeat). It advances the watermark even if
        the newest reading was the one delayed, so what is released when depends
        on the source's clock, not on which readings happened to be late.
        """
        late = table.take(np.empty(0, dtype=np.int64))
        newest = self.max_seen
        if len(table):
            is_late = table.ts <= self.released_until
            if is_late.any():
                late, table = table.take(np.flatnonzero(is_late)), table.take(np.flatnonzero(~is_late))
            if len(table):
                newest = max(newest, float(table.ts.max()))
                self.held = self.held.concat(table)
        if source_time is not None and source_time > newest:
            newest = source_time
        self.max_seen = newest
        return self._release(newest - self.lateness_s), late

    def flush(self) -> ReadingTable:
        """Release everything held (end of input)."""
        return self._release(_INF)

    def _release(self, until: float) -> ReadingTable:
        order = self._order()
        cut = int(np.searchsorted(self.held.ts[order], until, side="right"))
        out = self.held.take(order[:cut])
        self.held = self.held.take(order[cut:])  # kept in release order
        if cut:
            self.released_until = max(self.released_until, float(out.ts[-1]))
        if until != _INF and until > self.released_until:
            self.released_until = until
        return out

    def _order(self) -> Ints:
        """Held rows in release order: by ts, device, seq, then arrival (what they are held in).

        Sorting by ts alone is cheap (what is held is mostly sorted already); ties in ts, which
        are common (whole seconds), are then ordered by one int64 key (ts rank, device rank),
        and by seq only where a device has two readings stamped alike.
        """
        ts, dev = self.held.ts, self.held.device
        order = np.argsort(ts, kind="stable")
        ts_sorted = ts[order]
        tie = ts_sorted[1:] == ts_sorted[:-1]
        if not tie.any():
            return order
        ts_rank = np.concatenate(([0], np.cumsum(~tie)))
        key = ts_rank * len(self.devices.rank) + self.devices.rank[dev[order]]
        by_key = np.argsort(key, kind="stable")
        key_sorted = key[by_key]
        if (key_sorted[1:] == key_sorted[:-1]).any():
            by_key = np.lexsort((self.held.seq[order], key))
        return np.asarray(order[by_key])

    @property
    def watermark(self) -> float:
        return self.released_until

    def __len__(self) -> int:
        return len(self.held)
