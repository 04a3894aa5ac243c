"""A sink that rides out store outages: buffer micro-batches in order, retry with backoff, write each once.

``BufferedStore`` wraps any Repository for the pipeline's sink. While the
store answers, it is transparent: each unit of work is the inner store's unit
of work (same transaction, same return values). When the store raises
``StoreUnavailable`` (a write, or the commit), the whole micro-batch is kept
in memory, in order, and the pipeline goes on; later micro-batches queue
behind it (writing them first would let an older anchoring position overwrite
a newer one). Parked batches are retried, oldest first, each in its own unit of
work, when the backoff delay (``first_delay_s`` doubling up to
``max_delay_s``) has passed. A batch whose commit may or may not have landed
is simply written again: every write is idempotent by deterministic id, so the
outcome is exactly once. Past ``max_buffered_batches`` the sink stops and
waits for the store (backpressure) rather than grow without bound; ``drain``
waits until everything is written (the end of a run).

Every outage is reported: a warning when it starts and when it ends, and an
``Outage`` entry in ``outages``. Errors other than ``StoreUnavailable``
propagate unchanged. Reads and triage are never buffered, but
``stored_reading_ids`` counts the readings of parked batches as stored (they
will be), so a copy arriving during an outage is still known as one
(``buffered_reading_ids`` answers from them alone, when the store cannot). Not
thread-safe: one per sink.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cargotrail.contract.records import (
    Alert,
    AnchorReceipt,
    GeofenceEvent,
    Proof,
    Reading,
    RfidRead,
    VoyagePlan,
)
from cargotrail.contract.validate import Rejection
from cargotrail.errors import StoreUnavailable
from store.base import ReadingFlag, Repository
from store.readthrough import ReadThrough

log = logging.getLogger("cargotrail.store")
_Op = Callable[[Repository], object]


@dataclass
class Outage:
    """One period when the store could not take writes (wall-clock times)."""

    started: float
    error: str
    ended: float | None = None
    retries: int = 0
    most_batches_buffered: int = 0


@dataclass(frozen=True)
class _WriteReadings:
    """The write of ``write_readings``, its ids kept in sight while it is parked."""

    readings: tuple[Reading, ...]
    ids: tuple[str, ...]
    flag: ReadingFlag

    def __call__(self, store: Repository) -> int:
        return store.write_readings(self.readings, self.ids, flag=self.flag)


class _Abandon(Exception):
    """Raised inside the inner unit of work to roll back a micro-batch that will be parked instead."""


class BufferedStore(ReadThrough):
    def __init__(
        self,
        inner: Repository,
        *,
        max_buffered_batches: int = 10_000,
        first_delay_s: float = 0.5,
        max_delay_s: float = 15.0,
        drain_timeout_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], float] = time.time,
    ):
        super().__init__(inner)
        self.max_buffered_batches = max_buffered_batches
        self.first_delay_s, self.max_delay_s, self.drain_timeout_s = (
            first_delay_s,
            max_delay_s,
            drain_timeout_s,
        )
        self._clock, self._sleep, self._wall = clock, sleep, wall
        self._parked: deque[list[_Op]] = deque()
        self._parked_readings: Counter[str] = Counter()  # reading id -> parked writes of it
        self._unit: list[_Op] | None = None
        self._live = False  # the current unit writes through to the inner store
        self._broken: StoreUnavailable | None = None  # a write of the current unit failed
        self._delay = first_delay_s
        self._next_try = 0.0
        self.outages: list[Outage] = []

    @property
    def buffered_batches(self) -> int:
        return len(self._parked)

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """One micro-batch: written together now, or parked whole and written later, in order."""
        if self._unit is not None:
            yield
            return
        ops: list[_Op] = []
        self._unit = ops
        try:
            if self._parked and not (self._clock() >= self._next_try and self._drain_once()):
                yield  # still down (or backing off): record only
                self._park(ops, None)
                return
            inner = self.inner.unit_of_work()
            try:
                inner.__enter__()
            except StoreUnavailable as exc:  # cannot even begin: record only
                yield
                self._park(ops, exc)
                return
            self._live = True
            try:
                yield
            except BaseException:
                # The caller's own code failed (a StoreUnavailable from it too: nothing was recorded for
                # it): roll back and let it propagate.
                if not inner.__exit__(*sys.exc_info()):
                    raise
                return
            if self._broken is not None:  # a write failed: roll back what went through, park it all
                with contextlib.suppress(StoreUnavailable, _Abandon):
                    inner.__exit__(_Abandon, _Abandon(), None)
                self._park(ops, self._broken)
                return
            try:
                inner.__exit__(None, None, None)  # commit
            except StoreUnavailable as exc:
                self._park(ops, exc)  # it may or may not have landed: the replay is idempotent
        finally:
            self._unit, self._live, self._broken = None, False, None

    def drain(self, timeout_s: float | None = None) -> None:
        """Wait, retrying with backoff, until every parked micro-batch is written; ``StoreUnavailable`` after
        ``timeout_s`` (default ``drain_timeout_s``), naming how much is still unwritten."""
        deadline = self._clock() + (self.drain_timeout_s if timeout_s is None else timeout_s)
        while self._parked:
            wait = self._next_try - self._clock()
            if self._clock() + max(wait, 0.0) > deadline:
                raise StoreUnavailable(
                    f"store still unavailable; {len(self._parked)} micro-batches "
                    f"({sum(map(len, self._parked))} writes) are buffered and not written"
                )
            if wait > 0:
                self._sleep(wait)
            self._drain_once()

    def _drain_once(self) -> bool:
        """Write parked batches oldest first, each in its own unit of work; True when none is left."""
        while self._parked:
            try:
                with self.inner.unit_of_work():
                    for op in self._parked[0]:
                        op(self.inner)
            except StoreUnavailable as exc:
                self._retry_later(exc)
                return False
            self._forget(self._parked.popleft())
        if self.outages and self.outages[-1].ended is None:
            o = self.outages[-1]
            o.ended = self._wall()
            log.warning(
                "store available again after %.1f s and %d retries: all %d buffered micro-batches written",
                o.ended - o.started,
                o.retries,
                o.most_batches_buffered,
            )
        self._delay = self.first_delay_s
        return True

    def _forget(self, ops: list[_Op]) -> None:
        """``ops`` are written: their readings are the store's to report now."""
        counts = self._parked_readings
        for op in ops:
            if isinstance(op, _WriteReadings):
                for i in op.ids:
                    if counts[i] > 1:
                        counts[i] -= 1
                    else:
                        del counts[i]

    def stored_reading_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` the store holds or a parked batch will write (``StoreUnavailable`` when the
        store cannot answer about the others)."""
        found = self.buffered_reading_ids(ids)
        rest = [i for i in ids if i not in found] if found else ids
        if rest:
            found |= self.inner.stored_reading_ids(rest)
        return found

    def buffered_reading_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are readings of parked batches (written once the store is back)."""
        parked = self._parked_readings
        return {i for i in ids if i in parked} if parked else set()

    def _retry_later(self, exc: StoreUnavailable) -> None:
        self.outages[-1].retries += 1
        self._delay = min(self._delay * 2, self.max_delay_s)
        self._next_try = self._clock() + self._delay
        log.info("store still unavailable (%s); retry in %.1f s", exc, self._delay)

    def _park(self, ops: list[_Op], exc: StoreUnavailable | None) -> None:
        if ops:
            self._parked.append(ops)
            self._parked_readings.update(i for op in ops if isinstance(op, _WriteReadings) for i in op.ids)
        if exc is not None and (not self.outages or self.outages[-1].ended is not None):
            self.outages.append(Outage(started=self._wall(), error=str(exc)))
            self._delay = self.first_delay_s
            self._next_try = self._clock() + self._delay
            log.warning("store unavailable, buffering micro-batches and retrying with backoff: %s", exc)
        if self.outages:
            o = self.outages[-1]
            o.most_batches_buffered = max(o.most_batches_buffered, len(self._parked))
        if len(self._parked) > self.max_buffered_batches:
            log.warning("%d micro-batches buffered: waiting for the store", len(self._parked))
            self.drain()

    def _do(self, op: _Op, accepted: Any) -> Any:
        """Record ``op`` in the current unit and run it if the unit is live; else report it ``accepted``."""
        if self._unit is None:
            with self.unit_of_work():  # a lone write is a micro-batch of its own
                return self._do(op, accepted)
        self._unit.append(op)
        if not self._live:
            return accepted
        try:
            return op(self.inner)
        except StoreUnavailable as exc:
            self._live, self._broken = False, exc
            return accepted

    # -- writes: counts are rows stored when written through, rows accepted when buffered --
    def write_readings(
        self, readings: Sequence[Reading], ids: Sequence[str], *, flag: ReadingFlag = ReadingFlag.IN_ORDER
    ) -> int:
        write = _WriteReadings(tuple(readings), tuple(ids), flag)
        return int(self._do(write, len(write.readings)))

    def write_rfid(self, reads: Sequence[RfidRead]) -> int:
        rr = tuple(reads)
        return int(self._do(lambda s: s.write_rfid(rr), len(rr)))

    def write_events(self, events: Sequence[GeofenceEvent]) -> int:
        ee = tuple(events)
        return int(self._do(lambda s: s.write_events(ee), len(ee)))

    def write_alerts(self, alerts: Sequence[Alert]) -> int:
        aa = tuple(alerts)
        return int(self._do(lambda s: s.write_alerts(aa), len(aa)))

    def write_plans(self, plans: Sequence[VoyagePlan], seen_ts: float) -> int:
        pp = tuple(plans)
        return int(self._do(lambda s: s.write_plans(pp, seen_ts), len(pp)))

    def write_dead_letters(self, rejections: Sequence[Rejection], ts: float) -> int:
        rr = tuple(rejections)
        return int(self._do(lambda s: s.write_dead_letters(rr, ts), len(rr)))

    def write_anchor(self, receipt: AnchorReceipt, proofs: Sequence[Proof]) -> None:
        pp = tuple(proofs)
        self._do(lambda s: s.write_anchor(receipt, pp), None)

    def put_meta(self, key: str, value: bytes) -> None:
        self._do(lambda s: s.put_meta(key, value), None)

    def inbox_add(self, box: str, mark: float, body: bytes) -> None:
        self._do(lambda s: s.inbox_add(box, mark, body), None)

    def inbox_done(self, box: str, upto: float) -> int:
        return int(self._do(lambda s: s.inbox_done(box, upto), 0))
