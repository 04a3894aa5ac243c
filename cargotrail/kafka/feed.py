"""Publishing input onto the telemetry topic: records keyed by container, then a tick to every partition.

A seeded run publishes each simulator step as plans, RFID reads and readings,
then ``Tick(source_time=step watermark)``; the last step is followed by a final
tick. The same cut into micro-batches reaches every runtime, which is what lets
the Kafka runtime reproduce the embedded one's results.
"""

from __future__ import annotations

from collections.abc import Sequence

from cargotrail.contract.records import Reading, RfidRead, VoyagePlan
from cargotrail.kafka.codec import TICK_KEY, Tick
from cargotrail.kafka.producer import RecordProducer


class TelemetryFeed:
    def __init__(self, producer: RecordProducer, topic: str) -> None:
        self.producer = producer
        self.topic = topic
        self.partitions = producer.partitions(topic)

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
        for r in readings:
            send(t, r.container_id, r)
        if source_time is not None:
            self.tick(source_time)

    def tick(self, source_time: float, *, final: bool = False) -> None:
        self.producer.broadcast(
            self.topic, TICK_KEY, Tick(source_time=source_time, final=final), self.partitions
        )
