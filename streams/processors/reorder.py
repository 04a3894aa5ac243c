"""Device-time reordering with an explicit lateness bound.

Readings are held until the watermark (the newest device time seen minus the
lateness bound) passes them, then released in time order. A reading older
than what has already been released is *late*: it is handed back separately
so that it is stored and anchored, but never replayed through the stateful
rules as if it were new (no stale enter/exit).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field

from cargotrail.contract.records import Reading


@dataclass
class ReorderBuffer:
    lateness_s: float
    _heap: list[tuple[float, str, int, Reading]] = field(default_factory=list)
    _max_seen: float = float("-inf")
    released_until: float = float("-inf")  # the watermark: everything up to here is out

    def push(
        self, readings: Iterable[Reading], source_time: float | None = None
    ) -> tuple[list[Reading], list[Reading]]:
        """Add readings; return (released in time order, late).

        ``source_time``: the device time the source vouches it has reached (a
        simulator's step, a feed's heartbeat). It advances the watermark even if
        the newest reading was the one delayed, so what is released when depends
        on the source's clock, not on which readings happened to be late.
        """
        late: list[Reading] = []
        heap = self._heap
        for r in readings:
            t = r.ts.timestamp()
            if t <= self.released_until:
                late.append(r)
                continue
            if t > self._max_seen:
                self._max_seen = t
            heapq.heappush(heap, (t, r.device_id, r.seq, r))
        if source_time is not None and source_time > self._max_seen:
            self._max_seen = source_time
        return self._release(self._max_seen - self.lateness_s), late

    def flush(self) -> list[Reading]:
        """Release everything held (end of input)."""
        return self._release(float("inf"))

    def _release(self, until: float) -> list[Reading]:
        heap = self._heap
        out: list[Reading] = []
        while heap and heap[0][0] <= until:
            out.append(heapq.heappop(heap)[3])
        if out:
            self.released_until = max(self.released_until, out[-1].ts.timestamp())
        if until != float("inf") and until > self.released_until:
            self.released_until = until
        return out

    @property
    def watermark(self) -> float:
        return self.released_until

    def __len__(self) -> int:
        return len(self._heap)
