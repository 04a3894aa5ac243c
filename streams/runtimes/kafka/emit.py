"""A worker's outputs onto the output topics (confluent-kafka, idempotent producer).

Everything a partition's job produces goes to the *same partition number* of
each output topic, so the sink sees a container's records in order and a
stream's anchor batches in sequence. Readings carry their store flag as a
header; dead letters carry the telemetry offset they stem from (so that a
replay does not dead-letter a record twice, see ``replay.last_dead_lettered``).
``flush`` is the durability point (see ``app``).

Thread-safe: the event loop writes while rebuilds replay, write and flush in
executor threads (and the loop's own flushes run in one). One lock guards the
writer's state: a write queues its records and marks its partition finished in
one step, and a flush takes the marks in one step, *before* waiting, so the
records behind every mark it takes were queued before it waited for them. The
waits themselves (broker round trips) are outside the lock: librdkafka's flush
is thread-safe, and a write from the event loop must not stall behind a
rebuild's flush. The producer's delivery errors are sticky (see
``RecordProducer``), so every flush after a lost record fails, whichever thread
saw the loss first.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from cargotrail.contract.validate import Rejection
from cargotrail.errors import ValidationError
from cargotrail.kafka.codec import (
    FLAG_HEADER,
    SOURCE_OFFSET_HEADER,
    VERSION_HEADERS,
    AnchorBatch,
    DeadLetter,
    Headers,
    PartitionDone,
    PlanSeen,
    encode,
)
from cargotrail.kafka.producer import RecordProducer
from cargotrail.kafka.topics import MAX_MESSAGE_BYTES, Namespace
from streams.runtimes.kafka.partition import Outputs

_FLAG_HEADERS = {f: [*VERSION_HEADERS, (FLAG_HEADER, str(f).encode())] for f in range(3)}


def _source(offset: int) -> Headers:
    return [*VERSION_HEADERS, (SOURCE_OFFSET_HEADER, str(offset).encode())]


class OutputWriter:
    def __init__(self, bootstrap: str, ns: Namespace, *, linger_ms: float = 5.0) -> None:
        # Low linger: a micro-batch is flushed as a whole anyway, and latency counts here.
        self.producer = RecordProducer(
            bootstrap,
            linger_ms=linger_ms,
            extra={"message.max.bytes": MAX_MESSAGE_BYTES},
            sticky_errors=True,
        )
        self.topics = ns.outputs
        self._done: dict[int, str] = {}  # partitions whose final micro-batch was written, not yet flushed
        self._lock = threading.Lock()  # over ``_done`` and each call's sends (see the module docstring)

    def write(
        self, p: int, stream: str, out: Outputs, *, source_offset: int, dead_letters: bool = True
    ) -> None:
        """Queue one micro-batch's outputs; ``source_offset`` is the offset of the tick that closed it."""
        with self._lock:
            self._write(p, stream, out, source_offset, dead_letters)

    def _write(self, p: int, stream: str, out: Outputs, source_offset: int, dead_letters: bool) -> None:
        t, send = self.topics, self.producer.send
        for reading, _rid, flag in out.readings:
            send(
                t["records"],
                reading.container_id.encode(),
                encode(reading),
                partition=p,
                headers=_FLAG_HEADERS[flag],
            )
        for plan in out.plans:
            send(
                t["records"],
                plan.container_id.encode(),
                encode(PlanSeen(plan=plan, seen_ts=out.now)),
                partition=p,
            )
        for read in out.rfid:
            send(t["rfid"], read.container_id.encode(), encode(read), partition=p)
        for event in out.events:
            send(t["events"], event.container_id.encode(), encode(event), partition=p)
        for alert in out.alerts:
            send(t["alerts"], alert.container_id.encode(), encode(alert), partition=p)
        if dead_letters and out.rejections:
            hdrs = _source(source_offset)
            for rej in out.rejections:
                value = encode(DeadLetter(rejection=rej, ts=out.now))
                send(t["dlq"], rej.record.encode(), value, partition=p, headers=hdrs)
        for batch in out.anchors:
            # One message per batch, so the sink stores a batch whole (its leaves in one row): its
            # leaves and record ids, ~0.9 MB for 10,000 records (see ``AnchorBatch``).
            value = encode(AnchorBatch.of(batch.header, batch.proofs))
            send(t["anchors"], stream.encode(), value, partition=p)
        if out.final:
            self._done[p] = stream

    def dead_letter(self, p: int, exc: ValidationError, offset: int) -> None:
        """An input record that does not decode: kept, with why, never dropped silently."""
        rej = Rejection(
            source="kafka", position=offset, record=exc.record, field=exc.field, reason=exc.reason, raw=""
        )
        value = encode(DeadLetter(rejection=rej, ts=0.0))
        with self._lock:
            self.producer.send(
                self.topics["dlq"], exc.record.encode(), value, partition=p, headers=_source(offset)
            )

    def states(self, topic: str, p: int, values: Mapping[str, bytes]) -> None:
        """Queue per-container state records (the zones changelog), keyed by container id."""
        with self._lock:
            for cid, value in values.items():
                self.producer.send(topic, cid.encode(), value, partition=p)

    def flush(self, timeout_s: float = 60.0) -> None:
        """Wait until everything written is acknowledged, then mark the finished partitions done.

        ``PartitionDone`` goes out only after that first flush: it sits on another topic than
        the records, so sent with them it could reach the log first, and a sink that sees it
        and finds the records topic drained would stop before the last records arrive.
        """
        with self._lock:
            done, self._done = self._done, {}  # their records are queued: the flush below covers them
        try:
            self.producer.flush(timeout_s)
            if done:
                with self._lock:
                    for p, stream in done.items():
                        value = encode(PartitionDone(partition=p, stream=stream))
                        self.producer.send(self.topics["anchors"], stream.encode(), value, partition=p)
                self.producer.flush(timeout_s)
        except BaseException:
            with self._lock:  # not marked done yet: the next flush marks them
                self._done = {**done, **self._done}
            raise
