"""Rebuilding a partition's state by replaying the telemetry topic (confluent-kafka, bounded waits).

Why replay from offset 0 rather than from a snapshot or from the checkpoint:
``Processors`` keeps state that the contract types do not cover and that
grows from the first record on (the reorder buffer, each container's last fix
and zones, the anomaly baselines, the open anchor batch). Starting from the
checkpoint minus the lateness window would drop the baselines and the anchor
batch's first leaves, so events, alerts and Merkle roots would differ from the
embedded reference; a snapshot of that state would need a serialised form of
``Processors`` that its public API does not offer. Replaying the same records
through the same deterministic code is the one recovery that cannot drift. The
cost is linear in the partition's history, so the telemetry retention must
cover it (see ``cargotrail.kafka.topics``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from cargotrail.errors import ValidationError
from cargotrail.kafka.codec import SOURCE_OFFSET_HEADER, decode_input_salvaging, header
from cargotrail.kafka.errors import KafkaUnavailable
from streams.runtimes.kafka.partition import Outputs, PartitionJob

POLL_S = 1.0
DLQ_TAIL = 200  # dead letters read back to find the last source offset already dead-lettered


def _consumer(bootstrap: str, group: str) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "socket.timeout.ms": 10_000,
            "fetch.max.bytes": 52_428_800,
        }
    )


def replay(
    bootstrap: str,
    topic: str,
    partition: int,
    job: PartitionJob,
    *,
    start: int = 0,
    until: int,
    emit_from: int,
    emit: Callable[[Outputs, int], None],
    reject: Callable[[ValidationError, int], None],
    cancel: threading.Event | None = None,
    stall_timeout_s: float = 60.0,
) -> int:
    """Feed offsets ``[start, until)`` of the partition into ``job``; return how many records were read.

    ``job`` must hold exactly the records before ``start``. Outputs of ticks at
    offsets ``>= emit_from`` go to ``emit(outputs, tick offset)`` and records
    there that do not decode to ``reject(error, offset)`` (they may not have
    reached the sink before the crash); earlier ones were checkpointed.
    ``KafkaUnavailable`` when no record arrives for ``stall_timeout_s``.
    Once ``cancel`` is set (the partition was revoked) it stops between two
    batches of records, ``job`` then holding a prefix of the range.
    """
    if until <= start:
        return 0
    c = _consumer(bootstrap, f"replay-{topic}-{partition}")
    try:
        c.assign([TopicPartition(topic, partition, start)])
        read, idle = 0, 0.0
        while True:
            if cancel is not None and cancel.is_set():
                return read
            batch = c.consume(num_messages=5000, timeout=POLL_S)
            if not batch:
                idle += POLL_S
                if idle >= stall_timeout_s:
                    raise KafkaUnavailable(
                        f"replay stalled at offset {start + read} of [{start}, {until})",
                        topic=topic,
                        partition=partition,
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
                where = f"{topic}/{partition}@{off}"
                record, errors = decode_input_salvaging(msg.value() or b"", msg.headers(), where)
                if off >= emit_from:
                    for exc in errors:
                        reject(exc, off)
                if record is None:
                    continue
                out = job.push(record)
                if out is not None and off >= emit_from:
                    emit(out, off)
            if start + read >= until:
                return read
    finally:
        c.close()


def tail(bootstrap: str, topic: str, partition: int, n: int, timeout_s: float = 10.0) -> list[Message]:
    """The last ``n`` records of a partition (fewer when it holds fewer); ``KafkaUnavailable`` on timeout."""
    c = _consumer(bootstrap, f"tail-{topic}-{partition}")
    try:
        low, high = c.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout_s)
        if high <= low:
            return []
        begin = max(low, high - n)
        c.assign([TopicPartition(topic, partition, begin)])
        out: list[Message] = []
        seen, idle = begin, 0.0
        while seen < high:  # offsets may have gaps (compacted changelogs): stop at the high watermark
            batch = c.consume(num_messages=max(1, n), timeout=POLL_S)
            if not batch:
                idle += POLL_S
                if idle >= timeout_s:
                    raise KafkaUnavailable(
                        f"no records read from {begin} to {high}", topic=topic, partition=partition
                    )
                continue
            for msg in batch:
                if msg.error() is None:
                    seen = max(seen, (msg.offset() or 0) + 1)
                    out.append(msg)
        return out
    except KafkaException as exc:
        raise KafkaUnavailable(f"reading the tail: {exc}", topic=topic, partition=partition) from None
    finally:
        c.close()


def committed_offset(bootstrap: str, group: str, topic: str, partition: int, timeout_s: float = 10.0) -> int:
    """Where consumer group ``group`` resumes the partition: its committed offset (0: none yet).

    ``KafkaUnavailable`` when the coordinator does not answer or answers with an error for the
    partition: an error comes with an invalid offset, which must not read as "nothing committed".
    """
    c = _consumer(bootstrap, group)  # asks the group coordinator; does not join the group
    try:
        (tp,) = c.committed([TopicPartition(topic, partition)], timeout=timeout_s)
    except KafkaException as exc:
        raise KafkaUnavailable(
            f"reading the committed offset: {exc}", topic=topic, partition=partition
        ) from None
    finally:
        c.close()
    if tp.error is not None:
        raise KafkaUnavailable(f"reading the committed offset: {tp.error}", topic=topic, partition=partition)
    return max(int(tp.offset), 0)  # OFFSET_INVALID (-1001) when the group committed nothing


def last_dead_lettered(bootstrap: str, dlq_topic: str, partition: int) -> int:
    """The highest input offset whose dead letters are on ``dlq_topic`` (-1: none).

    Every dead letter a worker writes carries the telemetry offset it stems from
    (``SOURCE_OFFSET_HEADER``) and a partition's dead letters are written in
    offset order, so the tail of the partition says what a replay must not
    dead-letter again.
    """
    marks = (
        header(m.headers(), SOURCE_OFFSET_HEADER) for m in tail(bootstrap, dlq_topic, partition, DLQ_TAIL)
    )
    return max((int(v) for v in marks if v is not None), default=-1)


def last_value(bootstrap: str, topic: str, partition: int) -> bytes | None:
    """The value of a partition's last record (a changelog's latest write), None when it is empty."""
    records = tail(bootstrap, topic, partition, 1)
    return records[-1].value() if records else None
