"""A worker's outputs onto the output topics (confluent-kafka, idempotent producer).

Everything a partition's job produces goes to the *same partition number* of
each output topic, so the sink sees a container's records in order and a
stream's anchor batches in sequence. Readings carry their store flag as a
header. ``flush`` is the durability point (see ``app``).
"""

from __future__ import annotations

from cargotrail.contract.validate import Rejection
from cargotrail.errors import ValidationError
from cargotrail.kafka.codec import (
    FLAG_HEADER,
    VERSION_HEADERS,
    AnchorBatch,
    DeadLetter,
    PartitionDone,
    PlanSeen,
    encode,
)
from cargotrail.kafka.producer import RecordProducer
from cargotrail.kafka.topics import MAX_MESSAGE_BYTES, Namespace
from streams.runtimes.kafka.partition import Outputs

_FLAG_HEADERS = {f: [*VERSION_HEADERS, (FLAG_HEADER, str(f).encode())] for f in range(3)}


class OutputWriter:
    def __init__(self, bootstrap: str, ns: Namespace, *, linger_ms: float = 5.0) -> None:
        # Low linger: a micro-batch is flushed as a whole anyway, and latency counts here.
        self.producer = RecordProducer(
            bootstrap, linger_ms=linger_ms, extra={"message.max.bytes": MAX_MESSAGE_BYTES}
        )
        self.topics = ns.outputs

    def write(self, p: int, stream: str, out: Outputs) -> None:
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
        for rej in out.rejections:
            send(t["dlq"], rej.record.encode(), encode(DeadLetter(rejection=rej, ts=out.now)), partition=p)
        for batch in out.anchors:
            # One message per batch, so the sink stores a batch whole (its leaves in one row). A
            # 10,000-record batch's proofs are ~11 MB: the anchors topic and this producer allow
            # MAX_MESSAGE_BYTES (see cargotrail.kafka.topics).
            value = encode(AnchorBatch(header=batch.header, proofs=list(batch.proofs)))
            send(t["anchors"], stream.encode(), value, partition=p)
        if out.final:
            send(
                t["anchors"], stream.encode(), encode(PartitionDone(partition=p, stream=stream)), partition=p
            )

    def dead_letter(self, p: int, exc: ValidationError, offset: int) -> None:
        """An input record that does not decode: kept, with why, never dropped silently."""
        rej = Rejection(
            source="kafka", position=offset, record=exc.record, field=exc.field, reason=exc.reason, raw=""
        )
        self.producer.send(
            self.topics["dlq"], exc.record.encode(), encode(DeadLetter(rejection=rej, ts=0.0)), partition=p
        )
        self.producer.flush()

    def flush(self, timeout_s: float = 60.0) -> None:
        self.producer.flush(timeout_s)
