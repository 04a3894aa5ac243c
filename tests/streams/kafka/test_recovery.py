"""Rebuilding partitions while the loop goes on: each interleaving forced with gates, no broker.

The fake source stands for the blocking Kafka calls; its replays can be held at their start
(``Gate``) until the test releases them, so that a revocation, a reassignment or a failure
lands exactly where the test says.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from streams.runtimes.kafka.recovery import Recovery

WAIT_S = 30.0  # a guard against a hung test, never a synchronisation


@dataclass(frozen=True)
class Job:
    partition: int
    serial: int


@dataclass
class Gate:
    """Holds one replay at its start until released; then it fails or completes."""

    fail: bool = False
    entered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    cancelled: bool | None = None  # whether the replay's cancellation was set once released


@dataclass(frozen=True)
class Replayed:
    partition: int
    job: Job
    start: int
    until: int
    emit_from: int


class FakeSource:
    def __init__(self) -> None:
        self.stored: dict[int, int] = {}
        self.logged: dict[int, int] = {}
        self.committed_at: dict[int, int] = {}
        self.gates: dict[int, list[Gate]] = {}
        self.replays: list[Replayed] = []
        self.serial = 0

    def new_job(self, p: int) -> Job:
        self.serial += 1
        return Job(p, self.serial)

    def stored_checkpoint(self, p: int) -> int:
        return self.stored.get(p, 0)

    def logged_checkpoint(self, p: int) -> int:
        return self.logged.get(p, 0)

    def last_dead_lettered(self, p: int) -> int:
        return -1

    def committed(self, p: int) -> int:
        return self.committed_at.get(p, 0)

    def replay(
        self, p: int, job: Job, start: int, until: int, emit_from: int, cancel: threading.Event
    ) -> None:
        self.replays.append(Replayed(p, job, start, until, emit_from))
        gates = self.gates.get(p)
        if not gates:
            return
        gate = gates.pop(0)
        gate.entered.set()
        assert gate.release.wait(WAIT_S), "the test never released the replay"
        gate.cancelled = cancel.is_set()
        if gate.fail:
            raise ConnectionError(f"replay of partition {p} failed")

    def hold(self, p: int, *, fail: bool = False) -> Gate:
        gate = Gate(fail=fail)
        self.gates.setdefault(p, []).append(gate)
        return gate


async def entered(gate: Gate) -> None:
    assert await asyncio.to_thread(gate.entered.wait, WAIT_S), "the replay never started"


async def settle(rec: Recovery[Job]) -> None:
    """Wait for every rebuild in flight, failed or not."""
    while rec.recovering:
        await asyncio.wait(list(rec.recovering.values()))


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rebuilds froze the test process's heap


def test_assigned_partitions_are_rebuilt_up_to_the_committed_offset_emitting_from_the_checkpoint():
    src = FakeSource()
    src.committed_at, src.stored, src.logged = {0: 40, 1: 7}, {0: 12}, {0: 30, 1: 3}

    async def scenario() -> Recovery[Job]:
        rec = Recovery(src)
        rec.prepare({0, 1})
        await settle(rec)
        return rec

    rec = asyncio.run(scenario())
    assert sorted(src.replays, key=lambda r: r.partition) == [
        Replayed(0, rec.jobs[0], 0, 40, 30),  # the higher checkpoint: the changelog's
        Replayed(1, rec.jobs[1], 0, 7, 3),
    ]
    assert rec.next_offset == {0: 40, 1: 7}
    assert gc.get_freeze_count() > 0  # no rebuild in flight any more: the heap is frozen


def test_a_checkpoint_beyond_the_committed_offset_is_replayed_to_not_processed_again():
    # Faust commits every few seconds, the checkpoint follows every flush: the records between
    # them are fed to the rebuilt job without emitting, and the stream's deliveries of them skipped.
    src = FakeSource()
    src.committed_at, src.logged = {0: 10, 1: 50}, {0: 25, 1: 20}

    async def scenario() -> tuple[Recovery[Job], Job | None]:
        rec = Recovery(src)
        rec.prepare({0})
        await settle(rec)
        return rec, await rec.job(1, 15)  # first records, no assignment seen: from offset 15

    rec, job1 = asyncio.run(scenario())
    assert sorted(src.replays, key=lambda r: r.partition) == [
        Replayed(0, rec.jobs[0], 0, 25, 25),
        Replayed(1, rec.jobs[1], 0, 20, 20),
    ]
    assert job1 is rec.jobs[1]
    assert rec.next_offset == {0: 25, 1: 20}


def test_a_partition_revoked_during_its_rebuild_gets_no_job_and_its_replay_is_cancelled():
    src = FakeSource()
    gate = src.hold(0)

    async def scenario() -> Recovery[Job]:
        rec = Recovery(src)
        rec.prepare({0})
        task = rec.recovering[0]
        await entered(gate)
        rec.drop([0])
        gate.release.set()
        assert await task is None
        return rec

    rec = asyncio.run(scenario())
    assert gate.cancelled is True
    assert rec.jobs == {} and rec.recovering == {} and rec.next_offset == {}


def test_a_failed_rebuild_is_retried_with_the_first_record_and_that_job_is_installed(caplog):
    src = FakeSource()
    src.committed_at, src.stored = {0: 50}, {0: 20}
    gate = src.hold(0, fail=True)

    async def scenario() -> tuple[Recovery[Job], Job | None]:
        rec = Recovery(src)
        rec.prepare({0})
        await entered(gate)
        asking = asyncio.ensure_future(rec.job(0, 55))  # its records arrive meanwhile
        gate.release.set()
        return rec, await asking

    with caplog.at_level(logging.WARNING, logger="cargotrail.worker"):
        rec, job = asyncio.run(scenario())
    assert [(r.start, r.until, r.emit_from) for r in src.replays] == [(0, 50, 20), (0, 55, 20)]
    assert job is rec.jobs[0] is src.replays[1].job
    assert rec.next_offset[0] == 55
    assert "retrying with its records" in caplog.text


def test_a_rebuild_failing_after_its_partition_was_revoked_starts_no_other(caplog):
    src = FakeSource()
    gate = src.hold(0, fail=True)

    async def scenario() -> tuple[Recovery[Job], Job | None]:
        rec = Recovery(src)
        rec.prepare({0})
        await entered(gate)
        asking = asyncio.ensure_future(rec.job(0, 9))  # a record taken before the revocation
        # One turn of the loop (not a delay): the task scheduled above runs first, reads the epoch
        # and waits for the rebuild.
        await asyncio.sleep(0)
        rec.drop([0])
        gate.release.set()
        return rec, await asking

    with caplog.at_level(logging.WARNING, logger="cargotrail.worker"):
        rec, job = asyncio.run(scenario())
    assert job is None
    assert len(src.replays) == 1  # no rebuild of a partition no longer ours
    assert rec.jobs == {} and rec.recovering == {}
    assert "retrying" not in caplog.text


def test_a_reassigned_partition_keeps_the_new_rebuild_whatever_the_old_one_does_later():
    src = FakeSource()
    src.committed_at = {0: 10}
    old, new = src.hold(0), src.hold(0)

    async def scenario() -> tuple[Recovery[Job], asyncio.Task[Job | None]]:
        rec = Recovery(src)
        rec.prepare({0})
        old_task = rec.recovering[0]
        await entered(old)
        rec.drop([0])  # revoked...
        src.committed_at = {0: 25}
        rec.prepare({0})  # ...and given back while the old replay still runs
        await entered(new)
        new.release.set()
        await settle(rec)
        old.release.set()  # the old one completes last, and must change nothing
        assert await old_task is None
        return rec, old_task

    rec, _ = asyncio.run(scenario())
    first, second = src.replays
    assert rec.jobs == {0: second.job} and second.job != first.job
    assert rec.next_offset == {0: 25}
    assert old.cancelled is True and new.cancelled is False


def test_keep_only_drops_a_rebuild_in_flight_for_a_partition_now_elsewhere():
    src = FakeSource()
    gates = {0: src.hold(0), 1: src.hold(1)}

    async def scenario() -> tuple[Recovery[Job], list[int]]:
        rec = Recovery(src)
        rec.prepare({0, 1})
        for g in gates.values():
            await entered(g)
        dropped = rec.keep_only({1})
        for g in gates.values():
            g.release.set()
        await settle(rec)
        await asyncio.gather(*asyncio.all_tasks() - {asyncio.current_task()})  # the dropped one too
        return rec, dropped

    rec, dropped = asyncio.run(scenario())
    assert dropped == [0]
    assert rec.jobs.keys() == {1}
    assert gates[0].cancelled is True and gates[1].cancelled is False


@pytest.mark.parametrize(("checkpoint", "emit_from"), [(20, 20), (2, 5), (90, 90)])
def test_a_catch_up_emits_from_the_higher_of_its_start_and_the_checkpoint(checkpoint, emit_from):
    src = FakeSource()
    src.committed_at = {0: 5}

    async def scenario() -> tuple[Recovery[Job], bool]:
        rec = Recovery(src)
        rec.prepare({0})
        await settle(rec)
        src.logged = {0: checkpoint}  # written by whoever consumed the skipped range
        return rec, await rec.catch_up(0, rec.jobs[0], 30)

    rec, caught_up = asyncio.run(scenario())
    assert caught_up
    assert src.replays[-1] == Replayed(0, rec.jobs[0], 5, 30, emit_from)
    assert rec.next_offset[0] == 30


def test_a_catch_up_of_a_partition_revoked_meanwhile_reports_it():
    src = FakeSource()
    src.committed_at = {0: 5}

    async def scenario() -> tuple[Recovery[Job], bool]:
        rec = Recovery(src)
        rec.prepare({0})
        await settle(rec)
        gate = src.hold(0)
        catching = asyncio.ensure_future(rec.catch_up(0, rec.jobs[0], 30))
        await entered(gate)
        rec.drop([0])
        gate.release.set()
        return rec, await catching

    rec, caught_up = asyncio.run(scenario())
    assert not caught_up
    assert rec.next_offset == {}


def test_dropping_unfreezes_the_heap_and_an_assignment_with_nothing_to_rebuild_freezes_it_again():
    src = FakeSource()

    async def scenario() -> list[int]:
        rec = Recovery(src)
        rec.prepare({0, 1})
        await settle(rec)
        counts = [gc.get_freeze_count()]
        rec.keep_only({1})  # the dropped job's cycles must become collectable
        counts.append(gc.get_freeze_count())
        rec.prepare({1})  # nothing to rebuild
        counts.append(gc.get_freeze_count())
        return counts

    frozen, after_drop, after_assignment = asyncio.run(scenario())
    assert frozen > 0 and after_drop == 0 and after_assignment > 0
