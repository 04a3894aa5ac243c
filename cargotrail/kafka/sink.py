"""The sink: output topics -> store, anchor batches -> ledger. The single writer of both.

At-least-once: offsets are committed after the store committed a chunk, so a
crashed sink re-reads at most one chunk. That is harmless: the store ignores a
record id it already has, and the ledger returns the existing receipt for an
identical re-anchor (and refuses a different root for the same batch id).

``run_until_done`` serves bounded runs: it stops once every telemetry partition
reported ``PartitionDone`` and everything produced before those markers (they
are written after their partition's outputs were acknowledged) has been read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition
from confluent_kafka import KafkaError as RdKafkaError

from cargotrail.contract.ids import reading_id
from cargotrail.contract.records import Alert, GeofenceEvent, Reading, RfidRead
from cargotrail.contract.validate import Rejection
from cargotrail.kafka.codec import (
    FLAG_HEADER,
    AnchorBatch,
    DeadLetter,
    PartitionDone,
    PlanSeen,
    decode_output,
    header,
)
from cargotrail.kafka.errors import KafkaUnavailable
from cargotrail.kafka.topics import Namespace
from ledger.base import Ledger
from store.base import ReadingFlag, Repository

COMMIT_TIMEOUT_S = 60.0
CHUNK = 5000  # messages per store transaction, at most
_COORDINATOR_MOVING = {
    RdKafkaError._WAIT_COORD,
    RdKafkaError._TIMED_OUT,
    RdKafkaError._TRANSPORT,
    RdKafkaError.COORDINATOR_LOAD_IN_PROGRESS,
    RdKafkaError.COORDINATOR_NOT_AVAILABLE,
    RdKafkaError.NOT_COORDINATOR,
    RdKafkaError.REBALANCE_IN_PROGRESS,
}


@dataclass
class SinkCounters:
    records: int = 0
    anchored_batches: int = 0
    done: set[int] = field(default_factory=set)


class Sink:
    def __init__(
        self,
        bootstrap: str,
        ns: Namespace,
        store: Repository,
        ledger: Ledger,
        *,
        on_stored: Callable[[list[Alert]], None] | None = None,
    ) -> None:
        """``on_stored`` sees each chunk's alerts once the store committed them (latency probes)."""
        self.ns, self.store, self.ledger = ns, store, ledger
        self.on_stored = on_stored
        self.counters = SinkCounters()
        self._c = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"{ns.prefix}-sink",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "socket.timeout.ms": 10_000,
                "session.timeout.ms": 10_000,
            }
        )
        self._topics = list(ns.outputs.values())
        self._c.subscribe(self._topics)

    def poll_once(self, timeout_s: float = 0.5) -> int:
        """Consume and store one chunk; return how many messages it held."""
        # Wait for the first message only, then take what is already fetched: consume(5000, t)
        # would hold alerts back until 5,000 messages came or t ran out. The chunk grows by itself
        # while the store is busy, so commits stay few under load.
        got = self._c.consume(num_messages=1, timeout=timeout_s)
        if got:
            got += self._c.consume(num_messages=CHUNK - 1, timeout=0)
        msgs = [m for m in got if m.error() is None]
        if msgs:
            with self.store.unit_of_work():
                alerts = self._write(msgs)
            self._commit()
            if self.on_stored is not None:
                self.on_stored(alerts)
        return len(msgs)

    def _commit(self, timeout_s: float = COMMIT_TIMEOUT_S) -> None:
        """Commit the consumed offsets, riding out a coordinator that moves or restarts.

        ``KafkaUnavailable`` when it still fails after ``timeout_s`` (or for good): the chunk is
        stored, so a restarted sink re-reads at most that chunk (see the module contract).
        """
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self._c.commit(asynchronous=False)
                return
            except KafkaException as exc:
                err = exc.args[0] if exc.args else None
                retry = isinstance(err, RdKafkaError) and (
                    err.retriable() or err.code() in _COORDINATOR_MOVING
                )
                if not retry or time.monotonic() >= deadline:
                    raise KafkaUnavailable(f"sink could not commit its offsets: {exc}") from None
            time.sleep(0.5)

    def _write(self, msgs: list[Message]) -> list[Alert]:
        by_flag: dict[int, list[Reading]] = {0: [], 1: [], 2: []}
        rfid: list[RfidRead] = []
        events: list[GeofenceEvent] = []
        alerts: list[Alert] = []
        anchors: list[tuple[AnchorBatch, str]] = []
        for m in msgs:
            rec = decode_output(m.value() or b"", m.headers(), f"{m.topic()}/{m.partition()}@{m.offset()}")
            if isinstance(rec, Reading):
                by_flag[int(header(m.headers(), FLAG_HEADER) or b"0")].append(rec)
            elif isinstance(rec, RfidRead):
                rfid.append(rec)
            elif isinstance(rec, GeofenceEvent):
                events.append(rec)
            elif isinstance(rec, Alert):
                alerts.append(rec)
            elif isinstance(rec, PlanSeen):
                self.store.write_plans([rec.plan], rec.seen_ts)
            elif isinstance(rec, DeadLetter):
                self._dead_letter(rec.rejection, rec.ts)
            elif isinstance(rec, AnchorBatch):
                anchors.append((rec, f"{m.topic()}/{m.partition()}@{m.offset()}"))
            elif isinstance(rec, PartitionDone):
                self.counters.done.add(rec.partition)
        for flag, rs in by_flag.items():
            if rs:
                self.store.write_readings(
                    rs, [reading_id(r.device_id, r.seq) for r in rs], flag=ReadingFlag(flag)
                )
        self.store.write_rfid(rfid)
        self.store.write_events(events)
        self.store.write_alerts(alerts)
        for batch, where in anchors:  # after the records they cover (same chunk or an earlier one)
            proofs = batch.batch_proofs(where)  # checked before the ledger sees the header
            self.store.write_anchor(self.ledger.anchor(batch.header), proofs)
        self.counters.records += len(msgs)
        self.counters.anchored_batches += len(anchors)
        return alerts

    def _dead_letter(self, rej: Rejection, ts: float) -> None:
        self.store.write_dead_letters([rej], ts)

    def run_until_done(
        self,
        partitions: int,
        *,
        idle_timeout_s: float = 120.0,
        check: Callable[[], None] | None = None,
    ) -> SinkCounters:
        """Consume until every partition is done and drained.

        ``KafkaUnavailable`` after ``idle_timeout_s`` without a message.

        ``check`` is called between chunks (e.g. to raise when every worker died).
        """
        idle_since = time.monotonic()
        while True:
            if check is not None:
                check()
            n = self.poll_once()
            if n:
                idle_since = time.monotonic()
            if len(self.counters.done) >= partitions and self._drained():
                return self.counters
            if time.monotonic() - idle_since > idle_timeout_s:
                raise KafkaUnavailable(
                    f"sink idle for {idle_timeout_s}s; "
                    f"done partitions {sorted(self.counters.done)} of {partitions}"
                )

    def _drained(self) -> bool:
        try:
            assigned = self._c.assignment()
            positions = {(tp.topic, tp.partition): tp.offset for tp in self._c.position(assigned)}
            for tp in assigned:
                _low, high = self._c.get_watermark_offsets(
                    TopicPartition(tp.topic, tp.partition), timeout=10.0
                )
                pos = positions[(tp.topic, tp.partition)]
                if high > 0 and (pos < 0 or pos < high):
                    return False
        except KafkaException as exc:
            raise KafkaUnavailable(f"sink could not read positions: {exc}") from None
        return bool(assigned)

    def close(self) -> None:
        self._c.close()
