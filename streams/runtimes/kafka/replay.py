"""Rebuilding a partition's state by replaying the telemetry topic (confluent-kafka, bounded waits).

Why replay rather than restoring per-container snapshots: ``Processors`` keeps
state the contract types do not cover (the reorder buffer, the open anchor
batch, the anomaly columns), and replaying the same records through the same
deterministic code is the one recovery that cannot drift from the reference.
The cost is linear in the partition's history, so the telemetry retention
must cover it (see ``cargotrail.kafka.topics``).
"""

from __future__ import annotations

from collections.abc import Callable

from confluent_kafka import Consumer, TopicPartition

from cargotrail.errors import ValidationError
from cargotrail.kafka.codec import decode_input
from cargotrail.kafka.errors import KafkaUnavailable
from streams.runtimes.kafka.partition import Outputs, PartitionJob

POLL_S = 1.0


def replay(
    bootstrap: str,
    topic: str,
    partition: int,
    job: PartitionJob,
    *,
    until: int,
    emit_from: int,
    emit: Callable[[Outputs], None],
    stall_timeout_s: float = 60.0,
) -> int:
    """Feed offsets ``[0, until)`` of the partition into ``job``; return how many records were read.

    Outputs of ticks at offsets ``>= emit_from`` are handed to ``emit`` (they may
    not have reached the sink before the crash); earlier ones were checkpointed.
    ``KafkaUnavailable`` when no record arrives for ``stall_timeout_s``.
    """
    if until <= 0:
        return 0
    c = Consumer({
        "bootstrap.servers": bootstrap, "group.id": f"replay-{topic}-{partition}",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest", "socket.timeout.ms": 10_000, "fetch.max.bytes": 52_428_800,
    })  # fmt: skip
    try:
        c.assign([TopicPartition(topic, partition, 0)])
        read, idle = 0, 0.0
        while True:
            batch = c.consume(num_messages=5000, timeout=POLL_S)
            if not batch:
                idle += POLL_S
                if idle >= stall_timeout_s:
                    raise KafkaUnavailable(
                        f"replay stalled at record {read} of {until}", topic=topic, partition=partition
                    )
                continue
            idle = 0.0
            for msg in batch:
                off = msg.offset()
                if msg.error() is not None or off is None:
                    continue
                if off >= until:
                    return read
                read += 1
                value = msg.value()
                try:
                    record = decode_input(value or b"", msg.headers(), f"{topic}/{partition}@{off}")
                except ValidationError:
                    continue  # already dead-lettered when it was first consumed
                out = job.push(record)
                if out is not None and off >= emit_from:
                    emit(out)
            if read >= until:
                return read
    finally:
        c.close()
