"""Rebuilding the jobs of a worker's partitions, off the event loop, while it serves the others.

A partition's job is rebuilt when the partition is assigned (``prepare``), or
when its first records arrive without one (``job``: no assignment seen, or the
rebuild at assignment failed). Each rebuild reads the partition's checkpoint
and dead-letter mark, then replays it from offset 0 in an executor thread
(``Source.replay``): everything that blocks is behind ``Source``, so that tests
can hold each call and force every interleaving.

Epochs: ``drop`` (revoked, or not in the new assignment) bumps the partition's
epoch; work begun in an older epoch installs nothing and starts nothing, and
its replays are cancelled.

The heap is frozen (``freeze_heap``) whenever no rebuild is in flight any more,
and unfrozen by ``drop`` so that the dropped jobs' cycles can be collected.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any, Generic, Protocol, TypeVar

log = logging.getLogger("cargotrail.worker")

J = TypeVar("J")


class Source(Protocol[J]):
    """What a rebuild reads and runs. ``new_job`` and ``stored_checkpoint`` run on the event loop;
    the others block (Kafka) and run in executor threads."""

    def new_job(self, p: int) -> J: ...

    def stored_checkpoint(self, p: int) -> int:
        """The checkpoint in the worker's restored table (0: none)."""
        ...

    def logged_checkpoint(self, p: int) -> int:
        """The checkpoint last written to the changelog (0: none)."""
        ...

    def last_dead_lettered(self, p: int) -> int:
        """The highest input offset already on the DLQ (-1: none)."""
        ...

    def committed(self, p: int) -> int:
        """Where the group resumes the partition (0: nothing committed)."""
        ...

    def replay(self, p: int, job: J, start: int, until: int, emit_from: int, cancel: threading.Event) -> None:
        """Feed ``[start, until)`` into ``job``, emitting outputs from ``emit_from``, and flush them;
        stop early, without flushing, once ``cancel`` is set (the partition was dropped)."""
        ...


async def in_executor(fn: Callable[..., Any], *args: Any) -> Any:
    """Blocking I/O (flushes, replay) off the event loop, so heartbeats keep going."""
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


class Recovery(Generic[J]):
    """The jobs of the partitions held, and their rebuilds in flight.

    Invariant: a job in ``jobs`` has been fed exactly the partition's offsets ``[0, next_offset)``.
    """

    def __init__(self, source: Source[J], run: Callable[..., Any] = in_executor) -> None:
        self.source = source
        self.run = run
        self.jobs: dict[int, J] = {}
        self.next_offset: dict[int, int] = {}
        self.dead_lettered: dict[int, int] = {}  # per partition: last input offset already on the DLQ
        self.epochs: dict[int, int] = {}  # per partition: bumped by drop(), to spot stale work
        self.recovering: dict[int, asyncio.Task[J | None]] = {}  # per partition: its rebuild
        # per partition: set when its epoch ends, to stop the replays begun in it (they run on in
        # their threads otherwise, reading and flushing for a partition no longer ours)
        self.cancels: dict[int, threading.Event] = {}
        self.thawed = False  # the heap was unfrozen by a drop and not frozen again since

    def prepare(self, assigned: set[int]) -> None:
        """Assigned: rebuild the jobs of the partitions not held yet, ahead of their records."""
        for p in sorted(assigned - self.jobs.keys() - self.recovering.keys()):
            self._start(p, None)
        if self.thawed and not self.recovering:  # nothing to rebuild: freeze what stays now
            self._freeze()

    def _start(self, p: int, first: int | None) -> asyncio.Task[J | None]:
        task = self.recovering[p] = asyncio.ensure_future(self._recover(p, first))

        def settled(t: asyncio.Task[J | None]) -> None:
            if self.recovering.get(p) is not t:  # dropped meanwhile: its outcome no longer matters
                if not t.cancelled():
                    t.exception()  # retrieved, so that asyncio does not report it as unhandled
                return
            del self.recovering[p]
            if not self.recovering:
                self._freeze()
            if not t.cancelled() and (exc := t.exception()) is not None and first is None:
                # Its records will ask again (``job``), and crash the agent if it fails again.
                log.warning(
                    "partition %d: rebuilding at assignment failed (%s); retrying with its records", p, exc
                )

        task.add_done_callback(settled)
        return task

    async def job(self, p: int, first: int) -> J | None:
        """The partition's job, rebuilt (or awaited) when not held yet; None when revoked meanwhile."""
        if (job := self.jobs.get(p)) is not None:
            return job
        epoch = self.epochs.get(p, 0)
        task = self.recovering.get(p)
        if task is not None:
            with contextlib.suppress(Exception):  # logged by ``settled``; replayed below, up to ``first``
                await task
            if self.epochs.get(p, 0) != epoch:
                return None  # revoked while it ran: not ours to rebuild any more
            if (job := self.jobs.get(p)) is not None:
                return job
        return await self._start(p, first)

    def drop(self, partitions: Iterable[int]) -> None:
        """Revoked (or not ours): forget their state; whoever gets them next replays."""
        partitions = list(partitions)
        if not partitions:
            return
        for p in partitions:
            self.jobs.pop(p, None)
            self.recovering.pop(p, None)  # its result is discarded (see the epoch in ``_recover``)
            self.next_offset.pop(p, None)
            self.dead_lettered.pop(p, None)
            self.epochs[p] = self.epochs.get(p, 0) + 1
            if (cancel := self.cancels.pop(p, None)) is not None:
                cancel.set()

        # Unfrozen, so that the next full collection frees the cycles among the dropped jobs (frozen
        # with everything else after their rebuild, they would stay forever); frozen again as soon
        # as no rebuild is in flight (``_freeze``), so full collections walk the heap only meanwhile.
        gc.unfreeze()
        self.thawed = True

    def _freeze(self) -> None:
        freeze_heap()
        self.thawed = False

    def cancel_all(self) -> None:
        """Shutting down: stop every replay in flight."""
        for cancel in self.cancels.values():
            cancel.set()
        self.cancels.clear()

    def _cancel(self, p: int) -> threading.Event:
        """The current epoch's cancellation of the partition's replays."""
        return self.cancels.setdefault(p, threading.Event())

    def keep_only(self, assigned: set[int]) -> list[int]:
        """After a rebalance: drop the partitions now elsewhere, jobs and rebuilds in flight alike (a
        chunk taken before the rebalance may have started either); return the partitions dropped."""
        dropped = sorted({*self.jobs, *self.recovering} - assigned)
        self.drop(dropped)
        return dropped

    def held(self, p: int, job: J) -> bool:
        return self.jobs.get(p) is job

    async def _recover(self, p: int, first: int | None) -> J | None:
        """Rebuild the job: replay ``[0, first)``, or up to the group's committed offset when ``first``
        is None, or up to the checkpoint if that is further (records the stream delivers below the
        offset reached are skipped, a gap above it is caught up: see ``catch_up``)."""
        epoch, cancel = self.epochs.get(p, 0), self._cancel(p)
        job = self.source.new_job(p)
        done = await self.checkpoint(p)
        dead_lettered: int = await self.run(self.source.last_dead_lettered, p)
        if self.epochs.get(p, 0) != epoch:
            return None
        self.dead_lettered[p] = dead_lettered  # read by the replay's emits
        if first is None:
            first = await self.run(self.source.committed, p)
            when = "at assignment"
        else:
            when = "at its first record"
        # Up to the checkpoint at least: Faust commits its offsets every few seconds, the checkpoint
        # follows every flush, and the records between them need no emitting, only their state; fed
        # here, the stream's deliveries of them are skipped rather than processed and re-sent.
        first = max(first, done)
        log.info("partition %d: rebuilding %s: offsets [0, %d), emitting from %d", p, when, first, done)
        await self.run(self.source.replay, p, job, 0, first, done, cancel)
        if self.epochs.get(p, 0) != epoch:
            return None
        self.jobs[p], self.next_offset[p] = job, first
        return job

    async def catch_up(self, p: int, job: J, off: int) -> bool:
        """The stream skipped ``[next_offset, off)`` (a seek after a rebalance that kept this job):
        feed them from the topic. False when the partition was revoked meanwhile.

        Whoever consumed them meanwhile may not have made their outputs durable, and only the
        checkpoint proves that anyone did: the outputs are emitted from the higher of the range's
        start and the checkpoint (everything before a checkpoint is durable; nothing after it is
        known to be). Not from the start whatever the checkpoint: a long range would be sent again
        for nothing (harmless, ids are deterministic, but slow)."""
        epoch, start, cancel = self.epochs.get(p, 0), self.next_offset[p], self._cancel(p)
        emit_from = max(start, await self.checkpoint(p))
        if self.epochs.get(p, 0) != epoch or self.jobs.get(p) is not job:
            return False
        log.warning(
            "partition %d: offsets [%d, %d) skipped by the stream, replaying them, emitting from %d",
            p,
            start,
            off,
            emit_from,
        )
        await self.run(self.source.replay, p, job, start, off, emit_from, cancel)
        if self.epochs.get(p, 0) != epoch or self.jobs.get(p) is not job:
            return False
        self.next_offset[p] = off
        return True

    async def checkpoint(self, p: int) -> int:
        """The partition's checkpoint (0: none).

        Every checkpoint ever written is safe to resume emitting from (its writer had made
        everything before it durable, and so had whoever it took over from), so the higher of
        the table's value and the changelog's last record wins: the table may not be restored
        yet when the first chunk arrives, and then the changelog has the answer.
        """
        table = self.source.stored_checkpoint(p)
        logged: int = await self.run(self.source.logged_checkpoint, p)
        return max(table, logged)


def freeze_heap() -> None:
    """Take what the worker holds now (Faust, the zones, the rebuilt jobs) out of the collector's
    sight. A full collection walks every tracked object: measured 40-140 ms in a worker at 5,000
    readings/s, every few seconds, freeing nothing, a pause on every record in flight. Frozen
    objects are still freed when their last reference goes; cycles among them wait for the next
    ``Recovery.drop`` (which unfreezes) and the collection here that follows it."""
    gc.collect()
    gc.freeze()
