"""Publishing input onto the telemetry topic: records keyed by container, then a tick to every partition.

A seeded run publishes each simulator step as plans, RFID reads and readings,
then ``Tick(source_time=step watermark)``; the last step is followed by a final
tick. The same cut into micro-batches reaches every runtime, which is what lets
the Kafka runtime reproduce the embedded one's results.
"""

from __future__ import annotations

from collections.abc import Sequence

from cargotrail.contract.records import Reading, RfidRead, VoyagePlan
from cargotrail.kafka.codec import READINGS_KEY, TICK_KEY, Readings, Tick, encode
from cargotrail.kafka.partitioner import partition_of
from cargotrail.kafka.producer import RecordProducer

MAX_BATCH = 500  # readings per record: ~150 kB of JSON, well under the broker's 1 MB default


class TelemetryFeed:
    def __init__(self, producer: RecordProducer, topic: str, *, max_batch: int = MAX_BATCH) -> None:
        self.producer = producer
        self.topic = topic
        self.partitions = producer.partitions(topic)
        self.max_batch = max_batch
        self._partition: dict[str, int] = {}  # container id -> partition (murmur2 is pure Python)

    def publish(
        self,
        readings: Sequence[Reading],
        rfid: Sequence[RfidRead] = (),
        plans: Sequence[VoyagePlan] = (),
        *,
        source_time: float | None = None,
    ) -> None:
        """Queue one step (see the module contract); ``source_time`` None sends no tick."""
        send, t = self.producer.send_record, self.topic
        for plan in plans:
            send(t, plan.container_id, plan)
        for read in rfid:
            send(t, read.container_id, read)
        self.send_readings(readings)
        if source_time is not None:
            self.tick(source_time)

    def send_readings(self, readings: Sequence[Reading]) -> None:
        """Queue readings in per-partition ``Readings`` batches, each partition's in their order."""
        by_partition: dict[int, list[Reading]] = {}
        where, n = self._partition, len(self.partitions)
        for r in readings:
            p = where.get(r.container_id)
            if p is None:
                p = where[r.container_id] = self.partitions[partition_of(r.container_id.encode(), n)]
            by_partition.setdefault(p, []).append(r)
        step = self.max_batch
        for p, rs in by_partition.items():
            for i in range(0, len(rs), step):
                value = encode(Readings(readings=rs[i : i + step]))
                self.producer.send(self.topic, READINGS_KEY, value, partition=p)

    def tick(self, source_time: float, *, final: bool = False) -> None:
        self.producer.broadcast(
            self.topic, TICK_KEY, Tick(source_time=source_time, final=final), self.partitions
        )
