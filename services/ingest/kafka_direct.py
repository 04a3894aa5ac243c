"""Kafka-direct ingest: consume the raw topic integrators produce to, check, forward or dead-letter.

For integrators that run their own Kafka producers: they write readings to ``<prefix>.ingest.raw``
(see ``kafka_raw`` for the schema); this consumer checks every record, forwards the valid ones to
the telemetry topic keyed by container id, and sends the rest to the DLQ topic with the reason, the
source and the raw value (``KafkaSink``). At-least-once: a chunk's offsets are committed only after
the broker acknowledged everything forwarded from it, so a crash replays the chunk (readings are
idempotent downstream: their ids are deterministic).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaException
from confluent_kafka.cimpl import NewTopic

from cargotrail.kafka.errors import KafkaError, KafkaUnavailable
from cargotrail.kafka.topics import ADMIN_TIMEOUT_S, Namespace, admin
from services.ingest.kafka_raw import RAW_TOPIC, RawRecord, check_records
from services.ingest.kafka_sink import KafkaSink

log = logging.getLogger(__name__)

CHUNK = 5000


@dataclass
class DirectCounters:
    consumed: int = 0
    accepted: int = 0
    rejected: int = 0


def raw_topic(ns: Namespace) -> str:
    return ns.topic(RAW_TOPIC)


def ensure_raw_topic(bootstrap: str, ns: Namespace, *, timeout_s: float = ADMIN_TIMEOUT_S) -> bool:
    """Create the raw ingest topic (the namespace's partition count and retention) unless it exists."""
    client = admin(bootstrap)
    name = raw_topic(ns)
    try:
        if name in client.list_topics(timeout=timeout_s).topics:
            return False
        spec = NewTopic(name, ns.partitions, 1, config={"retention.ms": str(ns.retention_ms)})
        future = client.create_topics([spec], operation_timeout=timeout_s, request_timeout=timeout_s)[name]
        future.result(timeout=timeout_s)
    except KafkaException as exc:
        if "TOPIC_ALREADY_EXISTS" in str(exc):
            return False
        raise KafkaUnavailable(f"could not create the raw ingest topic: {exc}", topic=name) from None
    return True


class KafkaDirectIngest:
    """One consumer of the raw topic (a consumer group: run several for more partitions)."""

    def __init__(
        self,
        bootstrap: str,
        ns: Namespace,
        sink: KafkaSink,
        *,
        max_future_s: float,
        group: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sink = sink
        self.max_future_s = max_future_s
        self.clock = clock
        self.counters = DirectCounters()
        self.topic = raw_topic(ns)
        self._c = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": group or f"{ns.prefix}-ingest-direct",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "socket.timeout.ms": 10_000,
                "session.timeout.ms": 10_000,
            }
        )
        self._c.subscribe([self.topic])

    def poll_once(self, timeout_s: float = 0.5) -> int:
        """Consume, check and forward one chunk; return how many records it held."""
        try:
            messages = self._c.consume(num_messages=CHUNK, timeout=timeout_s)
        except KafkaException as exc:
            raise KafkaUnavailable(f"consume failed: {exc}", topic=self.topic) from None
        records = []
        for m in messages:
            if m.error() is not None:
                log.warning("raw ingest topic: %s", m.error())
                continue
            records.append(
                RawRecord(m.topic() or "", m.partition() or 0, m.offset() or 0, m.value(), m.headers())
            )
        if not records:
            return 0
        now_s = self.clock()
        valid, rejections = check_records(records, now_s=now_s, max_future_s=self.max_future_s)
        if rejections:
            self.sink.dead_letter(rejections, now_s)
        if valid:
            self.sink.accept(valid, now_s)
        self.sink.flush()  # acknowledged by the broker before the offsets move on
        try:
            self._c.commit(asynchronous=False)
        except KafkaException as exc:
            raise KafkaError(f"offset commit failed: {exc}", topic=self.topic) from None
        c = self.counters
        c.consumed += len(records)
        c.accepted += len(valid)
        c.rejected += len(rejections)
        return len(records)

    def run(self, stop: threading.Event, *, poll_s: float = 0.5) -> None:
        """Poll until ``stop`` is set."""
        while not stop.is_set():
            self.poll_once(poll_s)

    def close(self) -> None:
        self.sink.close()
        self._c.close()
