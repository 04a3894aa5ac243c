"""Device-time reordering with an explicit lateness bound.

Readings are held until the watermark (the newest device time seen minus the
lateness bound) passes them, then released in time order. A reading older
than what has already been released is *late*: it is handed back separately
so that it is stored and anchored, but never replayed through the stateful
rules as if it were new (no stale enter/exit).

Release order is total and independent of arrival order: (ts, device, seq).
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field

from cargotrail.contract.records import Reading

_Held = tuple[float, str, int, Reading]
_ts = operator.itemgetter(0)


_key = operator.itemgetter(0, 1, 2)  # (ts, device, seq): C speed, unlike a lambda


@dataclass
class ReorderBuffer:
    lateness_s: float
    _held: list[_Held] = field(default_factory=list)
    _max_seen: float = float("-inf")
    released_until: float = float("-inf")  # the watermark: everything up to here is out
    released_ts: list[float] = field(default_factory=list)  # device times of the last release, in order

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
        held, until = self._held, self.released_until
        newest = self._max_seen
        for r in readings:
            t = r.ts.timestamp()
            if t <= until:
                late.append(r)
                continue
            if t > newest:
                newest = t
            held.append((t, r.device_id, r.seq, r))
        if source_time is not None and source_time > newest:
            newest = source_time
        self._max_seen = newest
        return self._release(newest - self.lateness_s), late

    def flush(self) -> list[Reading]:
        """Release everything held (end of input)."""
        return self._release(float("inf"))

    def _release(self, until: float) -> list[Reading]:
        held = self._held
        # One sort per batch (C speed) rather than a heap operation per reading.
        held.sort(key=_key)
        cut = bisect.bisect_right(held, until, key=_ts)
        out, self._held = held[:cut], held[cut:]
        self.released_ts = [h[0] for h in out]
        if out:
            self.released_until = max(self.released_until, out[-1][0])
        if until != float("inf") and until > self.released_until:
            self.released_until = until
        return [h[3] for h in out]

    @property
    def watermark(self) -> float:
        return self.released_until

    def __len__(self) -> int:
        return len(self._held)
