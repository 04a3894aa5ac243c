"""Pacing a run: as fast as possible, or in real time compressed by a factor.

Contract: a clock wraps the simulator's batch iterator and yields the same
batches in the same order. ``RealTimeClock(factor)`` holds each batch back
until ``factor`` times the elapsed wall time has caught up with the batch's
device time (its watermark minus the first batch's start), so a factor of 60
plays an hour of device time per minute. ``sleep`` and ``monotonic`` are
injectable so tests never wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta

from services.simulator.emit import SimBatch


class FastClock:
    """No waiting: replay, tests and benchmarks."""

    def pace(self, batches: Iterable[SimBatch]) -> Iterator[SimBatch]:
        yield from batches


class RealTimeClock:
    def __init__(
        self,
        factor: float = 1.0,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if factor <= 0:
            raise ValueError("factor must be > 0")
        self.factor, self._sleep, self._now = factor, sleep, monotonic

    def pace(
        self, batches: Iterable[SimBatch], start: datetime | None = None, step: timedelta | None = None
    ) -> Iterator[SimBatch]:
        """Yield each batch once its watermark is due; ``start`` is the device time of the run's start.

        Without ``start``, the first batch's watermark minus ``step`` (default 0) is taken.
        """
        wall0: float | None = None
        origin = start
        for batch in batches:
            if wall0 is None:
                wall0 = self._now()
                if origin is None:
                    origin = batch.watermark - (step or timedelta(0))
            assert origin is not None
            due = wall0 + (batch.watermark - origin).total_seconds() / self.factor
            wait = due - self._now()
            if wait > 0:
                self._sleep(wait)
            yield batch
