"""The high-rate producer (confluent-kafka / librdkafka) for the simulator, ingest and workers.

Idempotent (``enable.idempotence``: acks=all, at most 5 in flight, no
duplicates or reordering on retry), lz4-compressed, ``linger.ms`` 20 by default
(throughput; pass 0-2 for latency). Keys are hashed with murmur2 like the Java
and aiokafka clients (librdkafka's default is CRC32), so every client agrees on
a container's partition.

``send`` never blocks for long: a full local queue is drained with ``poll``.
``flush`` waits at most ``timeout_s`` and raises ``DeliveryError`` naming the
first record the broker refused or that timed out (``message.timeout.ms``);
``KafkaUnavailable`` when records are still queued at the deadline.

With ``sticky_errors`` a delivery error is never cleared: every later ``send``
and ``flush`` raises it, from any thread, until the producer is replaced. For
producers flushed from several threads (a worker): otherwise whichever flush
saw the error first would clear it, and another flush, one of whose records
was lost, would return as if all were acknowledged. Without it the error is
raised once and cleared (a caller that serialises its flushes and retries).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from confluent_kafka import KafkaError as _RdKafkaError
from confluent_kafka import Message, Producer

from cargotrail.kafka.codec import VERSION_HEADERS, Headers, encode
from cargotrail.kafka.errors import DeliveryError, KafkaUnavailable


class RecordProducer:
    def __init__(
        self,
        bootstrap: str,
        *,
        linger_ms: float = 20.0,
        batch_messages: int = 10_000,
        compression: str = "lz4",
        delivery_timeout_s: float = 120.0,
        extra: dict[str, object] | None = None,
        sticky_errors: bool = False,
    ) -> None:
        self.bootstrap = bootstrap
        self.sticky_errors = sticky_errors
        config: dict[str, object] = {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": linger_ms,
            "batch.num.messages": batch_messages,
            "batch.size": 1_000_000,
            "compression.type": compression,
            "partitioner": "murmur2_random",
            "message.timeout.ms": int(delivery_timeout_s * 1000),
            "queue.buffering.max.messages": 500_000,
            "socket.timeout.ms": 10_000,
            # Reports for failed records only: a Python callback per acknowledged record cost
            # ~10% of a producer's CPU; ``flush`` still waits for every acknowledgement.
            "delivery.report.only.error": True,
        }
        config.update(extra or {})
        self._p = Producer(config)
        self.sent = 0
        self._error: DeliveryError | None = None

    def _on_delivery(self, err: _RdKafkaError | None, msg: Message) -> None:
        if err is not None and self._error is None:
            key = msg.key()
            self._error = DeliveryError(
                f"delivery failed: {err.str()}",
                topic=msg.topic() or "",
                partition=msg.partition(),
                key=key.decode(errors="replace") if isinstance(key, bytes) else "",
            )

    def send(
        self,
        topic: str,
        key: bytes,
        value: bytes,
        *,
        partition: int | None = None,
        headers: Headers = VERSION_HEADERS,
    ) -> None:
        """Queue one record (already encoded); raise the first delivery error seen so far."""
        if self._error is not None:
            raise self._error
        while True:
            try:
                if partition is None:
                    self._p.produce(topic, value, key, headers=headers, on_delivery=self._on_delivery)
                else:
                    self._p.produce(
                        topic, value, key, partition=partition, headers=headers, on_delivery=self._on_delivery
                    )
                break
            except BufferError:  # local queue full: let librdkafka deliver some, then retry
                self._p.poll(0.05)
        self.sent += 1
        if self.sent % 1000 == 0:
            self._p.poll(0)  # serve delivery callbacks

    def send_record(
        self, topic: str, key: str, record: object, *, headers: Headers = VERSION_HEADERS
    ) -> None:
        self.send(topic, key.encode(), encode(record), headers=headers)

    def broadcast(self, topic: str, key: bytes, record: object, partitions: Iterable[int]) -> None:
        """The same control record to every given partition (ticks)."""
        value = encode(record)
        for p in partitions:
            self.send(topic, key, value, partition=p)

    def poll(self) -> None:
        """Serve delivery callbacks without waiting (for callers that pace their own sends)."""
        self._p.poll(0)

    def flush(self, timeout_s: float = 60.0) -> None:
        """Wait until everything queued is acknowledged (see the module contract)."""
        remaining = self._p.flush(timeout_s)
        if (err := self._error) is not None:
            if not self.sticky_errors:
                self._error = None
            raise err
        if remaining:
            raise KafkaUnavailable(
                f"{remaining} records not delivered to {self.bootstrap} within {timeout_s}s"
            )

    def partitions(self, topic: str, timeout_s: float = 10.0) -> list[int]:
        """The topic's partition ids (from the broker's metadata).

        A topic created a moment ago may not be in the metadata yet: asked again until
        ``timeout_s``, then ``KafkaUnavailable``.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            left = max(0.1, deadline - time.monotonic())
            try:
                meta = self._p.list_topics(topic, timeout=left)
            except Exception as exc:  # confluent raises KafkaException on a timeout
                raise KafkaUnavailable(
                    f"no metadata for {topic} from {self.bootstrap}: {exc}", topic=topic
                ) from None
            t = meta.topics.get(topic)
            if t is not None and t.error is None and t.partitions:
                return sorted(t.partitions)
            if time.monotonic() >= deadline:
                raise KafkaUnavailable(f"topic unknown to {self.bootstrap} after {timeout_s}s", topic=topic)
            time.sleep(0.2)
