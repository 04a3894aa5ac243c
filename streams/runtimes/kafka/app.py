"""The faust-streaming app: one agent over the telemetry topic, jobs per partition.

- Micro-batches: ``stream.take_events(n, within)`` (always bounded), split by
  partition; a ``Tick`` closes a micro-batch (``partition.PartitionJob``);
  without ticks (``tickless``) each taken chunk is one micro-batch, cut at
  ``chunk_records`` input records (a Kafka record may carry a batch of readings).
- Effects: the outputs go to the output topics through the confluent producer
  and are flushed (acknowledged) before the partition's checkpoint is written,
  once per taken chunk for all its micro-batches (``_stage``, ``_settle``).
  Ids are deterministic, the sink upserts and the ledger accepts an identical
  re-anchor, so a replay changes nothing.
- Tables (changelog-backed): ``checkpoints`` holds, per partition, the next
  input offset whose outputs are not known to be durable; ``zones`` holds each
  container's ``ContainerZones``, refreshed every ``zones_every_s`` for the
  containers touched since (the live geofence state, readable by anyone joining
  the group; recovery does not need it).
- Recovery: when a worker is assigned a partition (start, crash of a peer,
  rebalance) it replays the partition (``replay``, from offset 0: see there
  why) up to where the stream will resume it, the group's committed offset,
  emitting only what follows the checkpoint; at once rather than when the
  first record arrives, so that the first records do not wait for it. A
  partition whose records arrive without that (no assignment seen, or the
  rebuild failed) is replayed up to the first offset given. Faust's own
  committed offsets decide only where consumption resumes, never what is lost:
  a job is fed every offset exactly once, and when the stream skips some (a
  seek after a rebalance) they are replayed first.
- Completion: ``PartitionDone`` is sent only once the final micro-batch's outputs
  are acknowledged (``emit.OutputWriter.flush``), so a sink that stops on it has
  them all.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust
import msgspec

from cargotrail.errors import ValidationError
from cargotrail.kafka.codec import decode_input_salvaging
from cargotrail.kafka.topics import Namespace
from streams.processors.pipeline import Processors
from streams.runtimes.kafka.emit import OutputWriter
from streams.runtimes.kafka.partition import Outputs, PartitionJob
from streams.runtimes.kafka.replay import committed_offset, last_dead_lettered, last_value, replay

log = logging.getLogger("cargotrail.worker")


STAGED_MAX = 4  # micro-batches of outputs (chunk_records readings each) queued before a flush at most


class Checkpoint(msgspec.Struct, frozen=True):
    next_offset: int


@dataclass(frozen=True)
class WorkerConfig:
    bootstrap: str
    ns: Namespace
    make_processors: Callable[[], Processors]
    max_future_s: float
    anchor_records: int
    anchor_seconds: float
    take_max: int = 5000  # Kafka records per take (a record may hold a batch of readings)
    chunk_records: int = 5000  # tickless: input records (readings) per micro-batch at most
    take_within_s: float = 0.05  # the longest a record waits for its micro-batch to start (latency)
    tickless: bool = False
    fetch_max_wait_s: float = 0.05  # the longest the broker holds a fetch (Faust hardcodes 1.5 s)
    zones_every_s: float = 1.0  # how often the zones table gets the containers touched since
    datadir: Path | None = None  # Faust's data directory; None: a fresh temporary one (never the cwd)


class PartitionRunner:
    """Owns the jobs of the partitions this worker holds; called with each taken chunk.

    Invariant: a job has been fed exactly the partition's offsets ``[0, next_offset)``.
    A job is rebuilt by replay when first seen, and caught up by replay when the
    stream skips offsets (see ``handle``), so that no record is ever missing from it.
    """

    def __init__(self, cfg: WorkerConfig, checkpoints: Any, zones_changelog: str) -> None:
        self.cfg = cfg
        self.checkpoints = checkpoints
        self.checkpoints_changelog: str = checkpoints.changelog_topic.get_topic_name()
        self.zones_changelog = zones_changelog
        self.jobs: dict[int, PartitionJob] = {}
        self.next_offset: dict[int, int] = {}
        self.dead_lettered: dict[int, int] = {}  # per partition: last input offset already on the DLQ
        self.revocations: dict[int, int] = {}  # per partition: bumped by drop(), to spot stale work
        self.touched: dict[int, set[str]] = {}  # per partition: containers whose zones are not sent yet
        self.zones_sent: dict[int, float] = {}  # per partition: when they last were (monotonic)
        self.staged: dict[int, tuple[PartitionJob, int]] = {}  # per partition: job, checkpoint once flushed
        self.staged_readings = 0
        self.recovering: dict[int, asyncio.Task[PartitionJob | None]] = {}  # per partition: its rebuild
        self.writer = OutputWriter(cfg.bootstrap, cfg.ns)

    def prepare(self, assigned: set[int]) -> None:
        """Assigned: rebuild the jobs of the partitions not held yet, ahead of their records."""
        for p in sorted(assigned - self.jobs.keys() - self.recovering.keys()):
            self._start_recovery(p, None)

    def _start_recovery(self, p: int, first: int | None) -> asyncio.Task[PartitionJob | None]:
        task = self.recovering[p] = asyncio.ensure_future(self._recover(p, first))

        def settled(t: asyncio.Task[PartitionJob | None]) -> None:
            if self.recovering.get(p) is t:
                del self.recovering[p]
                if not self.recovering:
                    freeze_heap()
            if not t.cancelled() and (exc := t.exception()) is not None and first is None:
                # Its records will ask again (``_job``), and crash the agent if it fails again.
                log.warning(
                    "partition %d: rebuilding at assignment failed (%s); retrying with its records", p, exc
                )

        task.add_done_callback(settled)
        return task

    async def _job(self, p: int, first: int) -> PartitionJob | None:
        """The partition's job, rebuilt (or awaited) when not held yet; None when revoked meanwhile."""
        if (job := self.jobs.get(p)) is not None:
            return job
        task = self.recovering.get(p)
        if task is not None:
            try:
                return await task
            except Exception:  # logged by ``settled``; replayed once more below, up to ``first``
                pass
        return await self._start_recovery(p, first)

    def drop(self, partitions: Iterable[int]) -> None:
        """Revoked (or not ours): forget their state; whoever gets them next replays."""
        for p in partitions:
            self.jobs.pop(p, None)
            self.recovering.pop(p, None)  # its result is discarded (see the epoch in ``_recover``)
            self.next_offset.pop(p, None)
            self.dead_lettered.pop(p, None)
            self.touched.pop(p, None)
            self.revocations[p] = self.revocations.get(p, 0) + 1

    def keep_only(self, assigned: set[int]) -> None:
        """After a rebalance: drop jobs built from chunks taken before it for partitions now elsewhere."""
        self.drop([p for p in self.jobs if p not in assigned])

    async def handle(self, events: Sequence[Any]) -> None:
        by_partition: dict[int, list[Any]] = {}
        for e in events:
            by_partition.setdefault(e.message.partition, []).append(e)
        for p, evs in by_partition.items():
            job = await self._job(p, evs[0].message.offset)
            if job is None:
                continue  # revoked while replaying: the new owner replays it
            for e in evs:
                if self.jobs.get(p) is not job:
                    break  # revoked meanwhile (during an await below)
                off = e.message.offset
                if off < self.next_offset[p]:
                    continue  # redelivered: already in the job's state
                if off > self.next_offset[p] and not await self._catch_up(p, job, off):
                    break
                self.next_offset[p] = off + 1
                record, errors = decode_input_salvaging(
                    e.message.value or b"", e.message.headers, f"{e.message.topic}/{p}@{off}"
                )
                for exc in errors:
                    self._reject(p, exc, off)
                if record is None:
                    continue
                out = job.push(record)
                if self.cfg.tickless and out is None and job.pending >= self.cfg.chunk_records:
                    out = job.close_chunk()  # bounded micro-batches whatever a record holds
                if out is not None:
                    self._stage(p, job, out, off)
                    if self.staged_readings >= STAGED_MAX * self.cfg.chunk_records:
                        await self._settle()
            if self.cfg.tickless and self.jobs.get(p) is job and (out := job.close_chunk()) is not None:
                self._stage(p, job, out, self.next_offset[p] - 1)
        await self._settle()

    async def _recover(self, p: int, first: int | None) -> PartitionJob | None:
        """Rebuild the job: replay ``[0, first)``, or up to the group's committed offset when ``first``
        is None (records the stream delivers below the offset reached are skipped, a gap above it
        is caught up: see ``handle``)."""
        cfg = self.cfg
        epoch = self.revocations.get(p, 0)
        job = PartitionJob(
            cfg.make_processors(),
            stream=f"{cfg.ns.prefix}-p{p}",
            max_future_s=cfg.max_future_s,
            anchor_records=cfg.anchor_records,
            anchor_seconds=cfg.anchor_seconds,
        )
        done = await self._checkpoint(p)
        self.dead_lettered[p] = await self._run(last_dead_lettered, cfg.bootstrap, cfg.ns.outputs["dlq"], p)
        if first is None:
            first = await self._run(committed_offset, cfg.bootstrap, cfg.ns.app_id, cfg.ns.telemetry, p)
            when = "at assignment"
        else:
            when = "at its first record"
        log.info("partition %d: rebuilding %s: offsets [0, %d), emitting from %d", p, when, first, done)
        await self._run(self._replay, p, job, 0, first, done)
        if self.revocations.get(p, 0) != epoch:
            return None
        self.jobs[p], self.next_offset[p] = job, first
        return job

    async def _catch_up(self, p: int, job: PartitionJob, off: int) -> bool:
        """The stream skipped ``[next_offset, off)`` (a seek after a rebalance that kept this job):
        feed them from the topic. False when the partition was revoked meanwhile.

        Whoever consumed them meanwhile may not have made their outputs durable, and only the
        checkpoint proves that anyone did: the outputs are emitted from the higher of the range's
        start and the checkpoint (everything before a checkpoint is durable; nothing after it is
        known to be). Not from the start whatever the checkpoint: a long range would be sent again
        for nothing (harmless, ids are deterministic, but slow)."""
        epoch, start = self.revocations.get(p, 0), self.next_offset[p]
        emit_from = max(start, await self._checkpoint(p))
        if self.revocations.get(p, 0) != epoch or self.jobs.get(p) is not job:
            return False
        log.warning(
            "partition %d: offsets [%d, %d) skipped by the stream, replaying them, emitting from %d",
            p,
            start,
            off,
            emit_from,
        )
        await self._run(self._replay, p, job, start, off, emit_from)
        if self.revocations.get(p, 0) != epoch or self.jobs.get(p) is not job:
            return False
        self.next_offset[p] = off
        return True

    async def _checkpoint(self, p: int) -> int:
        """The partition's checkpoint (0: none).

        Every checkpoint ever written is safe to resume emitting from (its writer had made
        everything before it durable, and so had whoever it took over from), so the higher of
        the table's value and the changelog's last record wins: the table may not be restored
        yet when the first chunk arrives, and then the changelog has the answer.
        """
        table = self.checkpoints.get(f"p{p}")
        log_ = await self._run(last_value, self.cfg.bootstrap, self.checkpoints_changelog, p)
        return max(
            (msgspec.json.decode(r, type=Checkpoint).next_offset for r in (table, log_) if r), default=0
        )

    def _replay(self, p: int, job: PartitionJob, start: int, until: int, emit_from: int) -> None:
        """Blocking: replay ``[start, until)`` into ``job``, then flush what it emitted."""
        stream = job.batcher.stream
        replay(
            self.cfg.bootstrap,
            self.cfg.ns.telemetry,
            p,
            job,
            start=start,
            until=until,
            emit_from=emit_from,
            emit=lambda out, off: self._write(p, stream, out, off),
            reject=lambda exc, off: self._reject(p, exc, off),
        )
        self.writer.flush()

    def _write(self, p: int, stream: str, out: Outputs, off: int) -> None:
        self.writer.write(p, stream, out, source_offset=off, dead_letters=off > self.dead_lettered.get(p, -1))

    def _reject(self, p: int, exc: ValidationError, off: int) -> None:
        """An undecodable input record: dead-lettered once (durable with the next flush)."""
        if off > self.dead_lettered.get(p, -1):
            self.writer.dead_letter(p, exc, off)

    def _stage(self, p: int, job: PartitionJob, out: Outputs, off: int) -> None:
        """Queue a micro-batch's outputs (closed at offset ``off``); its checkpoint waits for ``_settle``."""
        self._write(p, job.batcher.stream, out, off)
        # The zones changelog through the confluent producer, not ``Table.send_changelog``: one
        # record per touched container through Faust's Python producer cost more than processing.
        # Coalesced per ``zones_every_s``: a container's latest state is what the view needs.
        touched = self.touched.setdefault(p, set())
        touched.update(r.container_id for r, _, _ in out.readings)
        now = time.monotonic()
        if out.final or now - self.zones_sent.get(p, 0.0) >= self.cfg.zones_every_s:
            states = sorted(job.processors.tracker.snapshot(touched).items())
            self.writer.states(self.zones_changelog, p, {c: msgspec.json.encode(s) for c, s in states})
            touched.clear()
            self.zones_sent[p] = now
        self.staged[p] = (job, off + 1)
        self.staged_readings += len(out.readings)

    async def _settle(self) -> None:
        """One flush for every staged micro-batch (of all partitions), then their checkpoints.

        One flush per taken chunk rather than per micro-batch: a flush waits a broker round
        trip, and the outputs are durable before any checkpoint moves past them either way.
        """
        if not self.staged:
            return
        staged, self.staged, self.staged_readings = self.staged, {}, 0
        await self._run(self.writer.flush)
        for p, (job, next_offset) in staged.items():
            if self.jobs.get(p) is not job:
                # Revoked while the flush was awaited: another worker owns the partition now and
                # has replayed from the checkpoint it saw. A late checkpoint from here would land
                # after its writes and could claim chunks it never emitted (lost on its next crash).
                continue
            key, value = f"p{p}", msgspec.json.encode(Checkpoint(next_offset))
            self.checkpoints.data[key] = value
            self.checkpoints.send_changelog(p, key, value)

    @staticmethod
    async def _run(fn: Callable[..., Any], *args: Any) -> Any:
        """Blocking I/O (flushes, replay) off the event loop, so heartbeats keep going."""
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def freeze_heap() -> None:
    """Take what the worker holds now (Faust, the zones, the rebuilt jobs) out of the collector's
    sight. A full collection walks every tracked object: measured 40-140 ms in a worker at 5,000
    readings/s, every few seconds, freeing nothing, a pause on every record in flight. Frozen
    objects are still freed when their last reference goes; only cycles among them would stay."""
    gc.collect()
    gc.freeze()


def cap_fetch_wait(app: faust.App, max_wait_s: float) -> None:
    """Cap how long the broker may hold the worker's fetches: Faust passes aiokafka a fixed
    ``fetch_max_wait_ms=1500`` and has no setting for it, so the running fetcher's is set.

    Measured at 5,000 readings/s (bench/bench_kafka.py): with 1.5 s the stream went 1 to 1.4 s
    at a time without a record while the topic had them, most of the end-to-end latency.
    """
    thread = getattr(app.consumer, "_thread", None)
    fetcher = getattr(thread._ensure_consumer(), "_fetcher", None) if thread is not None else None
    if fetcher is None or not hasattr(fetcher, "_fetch_max_wait_ms"):
        log.warning("cannot cap the consumer's fetch wait: Faust's or aiokafka's internals changed")
        return
    fetcher._fetch_max_wait_ms = round(max_wait_s * 1000)
    log.info("consumer fetch wait capped at %d ms", fetcher._fetch_max_wait_ms)


def build_app(cfg: WorkerConfig) -> faust.App:
    ns = cfg.ns
    # Faust creates ``<datadir>/v1/tables`` even for memory tables; its default is ``<app id>-data``
    # in the current directory.
    datadir = cfg.datadir or Path(tempfile.mkdtemp(prefix=f"{ns.app_id}-"))
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        ns.app_id,
        broker=f"kafka://{cfg.bootstrap}",
        store="memory://",
        datadir=str(datadir),
        autodiscover=False,
        web_enabled=False,
        topic_partitions=ns.partitions,
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=6.0,  # a killed worker's partitions move within seconds
        broker_heartbeat_interval=1.0,
        broker_request_timeout=30.0,
        producer_acks=-1,
        table_standby_replicas=0,
        key_serializer="raw",
        value_serializer="raw",  # values are msgspec JSON made here
    )
    telemetry = app.topic(
        ns.telemetry, key_serializer="raw", value_serializer="raw", partitions=ns.partitions
    )
    checkpoints = app.Table("checkpoints", partitions=ns.partitions, key_type=bytes, value_type=bytes)
    zones = app.Table("zones", partitions=ns.partitions, key_type=bytes, value_type=bytes)
    runner = PartitionRunner(cfg, checkpoints, zones.changelog_topic.get_topic_name())
    app.cargotrail_runner = runner  # type: ignore[attr-defined]

    async def on_revoked(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        revoked = args[0] if args else kwargs.get("revoked", ())
        runner.drop([tp.partition for tp in revoked if tp.topic == ns.telemetry])

    async def on_assigned(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        assigned = args[0] if args else kwargs.get("assigned", ())
        ours = {tp.partition for tp in assigned if tp.topic == ns.telemetry}
        runner.keep_only(ours)
        runner.prepare(ours)
        cap_fetch_wait(app, cfg.fetch_max_wait_s)

    app.on_partitions_revoked.connect(on_revoked)
    app.on_partitions_assigned.connect(on_assigned)

    @app.agent(telemetry)
    async def process(stream: Any) -> None:
        async for events in stream.take_events(cfg.take_max, within=cfg.take_within_s):
            await runner.handle(events)

    return app
