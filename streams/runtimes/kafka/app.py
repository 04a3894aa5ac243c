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
- Recovery (``recovery.Recovery``): when a worker is assigned a partition (start,
  crash of a peer, rebalance) it replays the partition (``replay``, from offset 0: see there
  why) up to where the stream will resume it, the group's committed offset (or
  the checkpoint, if further), emitting only what follows the checkpoint; at once rather than when the
  first record arrives, so that the first records do not wait for it. A
  partition whose records arrive without that (no assignment seen, or the
  rebuild failed) is replayed up to the first offset given. Faust's own
  committed offsets decide only where consumption resumes, never what is lost:
  a job is fed every offset exactly once, and when the stream skips some (a
  seek after a rebalance) they are replayed first. A revoked partition's
  rebuild installs nothing and its replay stops (cancelled with its epoch).
- Copies: a reading that arrives again at another offset (an ingest client's
  retry) is dropped while its original is held for reordering or in the same
  micro-batch, and counted in the log ("duplicates dropped: N"); a copy that
  comes after its original was released is processed again (the worker has no
  store to ask, unlike the embedded runtime): its stored row is unchanged, but
  it is anchored a second time. A redelivered offset is never processed twice.
- Completion: ``PartitionDone`` is sent only once the final micro-batch's outputs
  are acknowledged (``emit.OutputWriter.flush``), so a sink that stops on it has
  them all.
"""

from __future__ import annotations

import logging
import tempfile
import threading
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
from streams.runtimes.kafka.recovery import Recovery, in_executor
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
    """Owns the jobs of the partitions this worker holds (``recovery``); called with each taken chunk.

    A job is rebuilt by replay when first seen, and caught up by replay when the stream skips
    offsets (see ``handle``), so that no record is ever missing from it.
    """

    def __init__(self, cfg: WorkerConfig, checkpoints: Any, zones_changelog: str) -> None:
        self.cfg = cfg
        self.checkpoints = checkpoints
        self.checkpoints_changelog: str = checkpoints.changelog_topic.get_topic_name()
        self.zones_changelog = zones_changelog
        self.recovery: Recovery[PartitionJob] = Recovery(KafkaSource(self))
        self.touched: dict[int, set[str]] = {}  # per partition: containers whose zones are not sent yet
        self.zones_sent: dict[int, float] = {}  # per partition: when they last were (monotonic)
        self.staged: dict[int, tuple[PartitionJob, int]] = {}  # per partition: job, checkpoint once flushed
        self.staged_readings = 0
        self.duplicates = 0  # readings dropped as copies since the worker started (logged)
        self.writer = OutputWriter(cfg.bootstrap, cfg.ns)

    def prepare(self, assigned: set[int]) -> None:
        self.recovery.prepare(assigned)

    def drop(self, partitions: Iterable[int]) -> None:
        """Revoked: forget their state; whoever gets them next replays."""
        partitions = list(partitions)
        self.recovery.drop(partitions)
        for p in partitions:
            self.touched.pop(p, None)

    def keep_only(self, assigned: set[int]) -> None:
        """After a rebalance: drop the partitions now elsewhere."""
        for p in self.recovery.keep_only(assigned):
            self.touched.pop(p, None)

    async def handle(self, events: Sequence[Any]) -> None:
        rec = self.recovery
        by_partition: dict[int, list[Any]] = {}
        for e in events:
            by_partition.setdefault(e.message.partition, []).append(e)
        for p, evs in by_partition.items():
            job = await rec.job(p, evs[0].message.offset)
            if job is None:
                continue  # revoked while replaying: the new owner replays it
            for e in evs:
                if not rec.held(p, job):
                    break  # revoked meanwhile (during an await below)
                off = e.message.offset
                if off < rec.next_offset[p]:
                    continue  # redelivered: already in the job's state
                if off > rec.next_offset[p] and not await rec.catch_up(p, job, off):
                    break
                rec.next_offset[p] = off + 1
                record, errors = decode_input_salvaging(
                    e.message.value or b"", e.message.headers, f"{e.message.topic}/{p}@{off}"
                )
                for exc in errors:
                    self.reject(p, exc, off)
                if record is None:
                    continue
                out = job.push(record)
                if self.cfg.tickless and out is None and job.pending >= self.cfg.chunk_records:
                    out = job.close_chunk()  # bounded micro-batches whatever a record holds
                if out is not None:
                    self._stage(p, job, out, off)
                    if self.staged_readings >= STAGED_MAX * self.cfg.chunk_records:
                        await self._settle()
            if self.cfg.tickless and rec.held(p, job) and (out := job.close_chunk()) is not None:
                self._stage(p, job, out, rec.next_offset[p] - 1)
        await self._settle()

    def write(self, p: int, stream: str, out: Outputs, off: int) -> None:
        dead_letters = off > self.recovery.dead_lettered.get(p, -1)
        self.writer.write(p, stream, out, source_offset=off, dead_letters=dead_letters)

    def reject(self, p: int, exc: ValidationError, off: int) -> None:
        """An undecodable input record: dead-lettered once (durable with the next flush)."""
        if off > self.recovery.dead_lettered.get(p, -1):
            self.writer.dead_letter(p, exc, off)

    def _stage(self, p: int, job: PartitionJob, out: Outputs, off: int) -> None:
        """Queue a micro-batch's outputs (closed at offset ``off``); its checkpoint waits for ``_settle``."""
        self.write(p, job.batcher.stream, out, off)
        if out.duplicates:
            self.duplicates += out.duplicates
            log.info(
                "partition %d: %d readings dropped as copies (duplicates dropped: %d)",
                p,
                out.duplicates,
                self.duplicates,
            )
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
        await in_executor(self.writer.flush)
        for p, (job, next_offset) in staged.items():
            if not self.recovery.held(p, job):
                # Revoked while the flush was awaited: another worker owns the partition now and
                # has replayed from the checkpoint it saw. A late checkpoint from here would land
                # after its writes and could claim chunks it never emitted (lost on its next crash).
                continue
            key, value = f"p{p}", msgspec.json.encode(Checkpoint(next_offset))
            self.checkpoints.data[key] = value
            self.checkpoints.send_changelog(p, key, value)


class KafkaSource:
    """What a rebuild reads and runs (``recovery.Source``), from the worker's topics and tables."""

    def __init__(self, runner: PartitionRunner) -> None:
        self.runner = runner
        self.cfg = runner.cfg

    def new_job(self, p: int) -> PartitionJob:
        cfg = self.cfg
        return PartitionJob(
            cfg.make_processors(),
            stream=f"{cfg.ns.prefix}-p{p}",
            max_future_s=cfg.max_future_s,
            anchor_records=cfg.anchor_records,
            anchor_seconds=cfg.anchor_seconds,
        )

    def stored_checkpoint(self, p: int) -> int:
        return _next_offset(self.runner.checkpoints.get(f"p{p}"))

    def logged_checkpoint(self, p: int) -> int:
        return _next_offset(last_value(self.cfg.bootstrap, self.runner.checkpoints_changelog, p))

    def last_dead_lettered(self, p: int) -> int:
        return last_dead_lettered(self.cfg.bootstrap, self.cfg.ns.outputs["dlq"], p)

    def committed(self, p: int) -> int:
        return committed_offset(self.cfg.bootstrap, self.cfg.ns.app_id, self.cfg.ns.telemetry, p)

    def replay(
        self, p: int, job: PartitionJob, start: int, until: int, emit_from: int, cancel: threading.Event
    ) -> None:
        """Blocking: replay ``[start, until)`` into ``job``, then flush what it emitted (unless cancelled:
        the partition is someone else's, who emits it all again)."""
        runner, stream = self.runner, job.batcher.stream

        # Nothing more once cancelled: the partition's dead-letter mark is gone with its epoch.
        def emit(out: Outputs, off: int) -> None:
            if not cancel.is_set():
                runner.write(p, stream, out, off)

        def reject(exc: ValidationError, off: int) -> None:
            if not cancel.is_set():
                runner.reject(p, exc, off)

        replay(
            self.cfg.bootstrap,
            self.cfg.ns.telemetry,
            p,
            job,
            start=start,
            until=until,
            emit_from=emit_from,
            emit=emit,
            reject=reject,
            cancel=cancel,
        )
        if not cancel.is_set():
            runner.writer.flush()


def _next_offset(checkpoint: bytes | None) -> int:
    return msgspec.json.decode(checkpoint, type=Checkpoint).next_offset if checkpoint else 0


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

    async def on_before_shutdown(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        runner.recovery.cancel_all()

    app.on_partitions_revoked.connect(on_revoked)
    app.on_before_shutdown.connect(on_before_shutdown)
    app.on_partitions_assigned.connect(on_assigned)

    @app.agent(telemetry)
    async def process(stream: Any) -> None:
        async for events in stream.take_events(cfg.take_max, within=cfg.take_within_s):
            await runner.handle(events)

    return app
