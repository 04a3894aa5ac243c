"""The faust-streaming app: one agent over the telemetry topic, jobs per partition.

- Micro-batches: ``stream.take_events(n, within)`` (always bounded), split by
  partition; a ``Tick`` closes a micro-batch (``partition.PartitionJob``);
  without ticks (``tickless``) each taken chunk is one micro-batch.
- Effects: the outputs go to the output topics through the confluent producer
  and are flushed (acknowledged) before the partition's checkpoint is written.
  Ids are deterministic, the sink upserts and the ledger accepts an identical
  re-anchor, so a replay changes nothing.
- Tables (changelog-backed): ``checkpoints`` holds, per partition, the next
  input offset whose outputs are not known to be durable; ``zones`` holds each
  container's ``ContainerZones`` after every micro-batch (the live geofence
  state, readable by anyone joining the group).
- Recovery: when a worker first sees a partition (start, crash of a peer,
  rebalance) it replays the partition up to the first offset it was given
  (``replay``), emitting only what follows the checkpoint. Faust's own committed
  offsets decide only where consumption resumes, never what is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import faust
import msgspec

from cargotrail.errors import ValidationError
from cargotrail.kafka.codec import decode_input
from cargotrail.kafka.topics import Namespace
from streams.processors.pipeline import Processors
from streams.runtimes.kafka.emit import OutputWriter
from streams.runtimes.kafka.partition import Outputs, PartitionJob
from streams.runtimes.kafka.replay import replay

log = logging.getLogger("cargotrail.worker")


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
    take_max: int = 5000
    take_within_s: float = 0.2
    tickless: bool = False


class PartitionRunner:
    """Owns the jobs of the partitions this worker holds; called with each taken chunk."""

    def __init__(self, cfg: WorkerConfig, checkpoints: Any, zones: Any) -> None:
        self.cfg = cfg
        self.checkpoints = checkpoints
        self.zones = zones
        self.jobs: dict[int, PartitionJob] = {}
        self.next_offset: dict[int, int] = {}
        self.revocations: dict[int, int] = {}  # per partition: bumped by drop(), to spot stale work
        self.writer = OutputWriter(cfg.bootstrap, cfg.ns)

    def drop(self, partitions: Sequence[int]) -> None:
        """Revoked: forget their state; whoever gets them next replays."""
        for p in partitions:
            self.jobs.pop(p, None)
            self.next_offset.pop(p, None)
            self.revocations[p] = self.revocations.get(p, 0) + 1

    async def handle(self, events: Sequence[Any]) -> None:
        by_partition: dict[int, list[Any]] = {}
        for e in events:
            by_partition.setdefault(e.message.partition, []).append(e)
        for p, evs in by_partition.items():
            job = self.jobs.get(p) or await self._recover(p, evs[0].message.offset)
            if job is None:
                continue  # revoked while replaying: the new owner replays it
            for e in evs:
                if self.jobs.get(p) is not job:
                    break  # revoked meanwhile (during an await below)
                off = e.message.offset
                if off < self.next_offset[p]:
                    continue  # redelivered: already in the job's state
                self.next_offset[p] = off + 1
                try:
                    record = decode_input(
                        e.message.value or b"", e.message.headers, f"{e.message.topic}/{p}@{off}"
                    )
                except ValidationError as exc:
                    await self._run(self.writer.dead_letter, p, exc, off)
                    continue
                out = job.push(record)
                if out is not None:
                    await self._commit(p, job, out)
            if self.cfg.tickless and (out := job.close_chunk()) is not None:
                await self._commit(p, job, out)

    async def _recover(self, p: int, first: int) -> PartitionJob | None:
        cfg = self.cfg
        epoch = self.revocations.get(p, 0)
        job = PartitionJob(
            cfg.make_processors(), stream=f"{cfg.ns.prefix}-p{p}", max_future_s=cfg.max_future_s,
            anchor_records=cfg.anchor_records, anchor_seconds=cfg.anchor_seconds,
        )  # fmt: skip
        raw = self.checkpoints.get(f"p{p}")
        done = msgspec.json.decode(raw, type=Checkpoint).next_offset if raw else 0
        log.warning("partition %d: replaying offsets [0, %d), emitting from %d", p, first, done)
        await self._run(
            replay, cfg.bootstrap, cfg.ns.telemetry, p, job, until=first, emit_from=done,
            emit=lambda out: self.writer.write(p, job.batcher.stream, out),
        )  # fmt: skip
        await self._run(self.writer.flush)
        if self.revocations.get(p, 0) != epoch:
            return None
        self.jobs[p], self.next_offset[p] = job, first
        return job

    async def _commit(self, p: int, job: PartitionJob, out: Outputs) -> None:
        self.writer.write(p, job.batcher.stream, out)
        await self._run(self.writer.flush)  # durable before the checkpoint moves past it
        if self.jobs.get(p) is not job:
            # Revoked while the flush was awaited: another worker owns the partition now and
            # has replayed from the checkpoint it saw. A late checkpoint from here would land
            # after its writes and could claim chunks it never emitted (lost on its next crash).
            return
        key, value = f"p{p}", msgspec.json.encode(Checkpoint(self.next_offset[p]))
        self.checkpoints.data[key] = value
        self.checkpoints.send_changelog(p, key, value)
        for cid, state in self._touched_zones(job, out):
            self.zones.send_changelog(p, cid, msgspec.json.encode(state))

    @staticmethod
    def _touched_zones(job: PartitionJob, out: Outputs) -> list[tuple[str, Any]]:
        # Only the containers this batch touched: ``tracker.state`` would copy them all.
        cids = {r.container_id for r, _, _ in out.readings}
        return sorted(job.processors.tracker.snapshot(cids).items())

    @staticmethod
    async def _run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Blocking I/O (flushes, replay) off the event loop, so heartbeats keep going."""
        return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))


def build_app(cfg: WorkerConfig) -> faust.App:
    ns = cfg.ns
    app = faust.App(
        ns.app_id,
        broker=f"kafka://{cfg.bootstrap}",
        store="memory://",
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
    runner = PartitionRunner(cfg, checkpoints, zones)
    app.cargotrail_runner = runner  # type: ignore[attr-defined]

    async def on_revoked(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        revoked = args[0] if args else kwargs.get("revoked", ())
        runner.drop([tp.partition for tp in revoked if tp.topic == ns.telemetry])

    app.on_partitions_revoked.connect(on_revoked)

    @app.agent(telemetry)
    async def process(stream: Any) -> None:
        async for events in stream.take_events(cfg.take_max, within=cfg.take_within_s):
            await runner.handle(events)

    return app
