"""The Kafka side of the ingest gateway: valid readings to the telemetry topic, rejections to the DLQ topic.

Readings are keyed by container id (a container's readings share a partition and stay in order)
and carry the ``schema-version`` header, exactly as the simulator's feed sends them. Rejections
travel as ``DeadLetter`` records (reason, source, raw payload) on ``<prefix>.dlq``, which the
Kafka sink writes to the store's dead-letter table.

The Faust workers process a partition's readings when a ``Tick`` vouches for device time. A live
gateway vouches for the wall clock (at most once per ``tick_every_s``): the workers' reorder buffer
then releases what is older than the clock minus its lateness window, and a reading arriving after
that is late, as it would be in the embedded runtime.
``flush`` waits for the broker's acknowledgements (the Kafka-direct consumer commits only then).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from cargotrail.contract.records import Reading
from cargotrail.contract.validate import Rejection
from cargotrail.kafka.codec import TICK_KEY, DeadLetter, Tick, encode
from cargotrail.kafka.errors import KafkaUnavailable
from cargotrail.kafka.producer import RecordProducer
from cargotrail.kafka.topics import Namespace

FLUSH_TIMEOUT_S = 60.0
METADATA_WAIT_S = 10.0


class KafkaSink:
    def __init__(
        self,
        producer: RecordProducer,
        namespace: Namespace,
        *,
        tick_every_s: float = 1.0,
    ) -> None:
        self.producer = producer
        self.telemetry = namespace.telemetry
        self.dlq = namespace.outputs["dlq"]
        self.partitions = self._partitions()
        self.tick_every_s = tick_every_s
        self._last_tick = float("-inf")
        self._closed = False

    def _partitions(self) -> list[int]:
        # A topic created a moment ago may not be in every broker's metadata yet: ask again, briefly.
        deadline = time.monotonic() + METADATA_WAIT_S
        while True:
            try:
                return self.producer.partitions(self.telemetry)
            except KafkaUnavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def accept(self, readings: Sequence[Reading], now_s: float) -> None:
        send, topic = self.producer.send, self.telemetry
        for r in readings:
            send(topic, r.container_id.encode(), encode(r))
        if now_s - self._last_tick >= self.tick_every_s:
            self._last_tick = now_s
            tick = Tick(source_time=now_s)
            self.producer.broadcast(self.telemetry, TICK_KEY, tick, self.partitions)

    def dead_letter(self, rejections: Sequence[Rejection], now_s: float) -> None:
        for rej in rejections:
            self.producer.send(self.dlq, rej.record.encode(), encode(DeadLetter(rejection=rej, ts=now_s)))

    def flush(self) -> None:
        """Wait until the broker acknowledged everything sent (``DeliveryError``/``KafkaUnavailable``)."""
        self.producer.flush(FLUSH_TIMEOUT_S)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.flush()
