"""The one place that chooses a process's sink: the embedded runtime, or Kafka with ``--kafka BOOTSTRAP``.

``cargotrail ingest-server`` and ``cargotrail dlq replay`` both call it, so a replayed dead letter
goes where live ingest goes (the store of the data directory, or the telemetry topic of the
``CARGOTRAIL_KAFKA_PREFIX`` namespace for the Kafka runtime's workers).
"""

from __future__ import annotations

from collections.abc import Callable

from cargotrail.settings import Settings
from services.ingest.sinks import EmbeddedSink, Sink


def open_sink(settings: Settings, *, kafka: str | None, clock: Callable[[], float]) -> Sink:
    """A ``KafkaSink`` producing to ``kafka`` (topics created if missing), else an ``EmbeddedSink``."""
    if not kafka:
        return EmbeddedSink(settings, clock=clock)
    from cargotrail.kafka.producer import RecordProducer
    from cargotrail.kafka.topics import Namespace, ensure_topics
    from services.ingest.kafka_sink import KafkaSink

    ns = Namespace(settings.kafka_prefix, settings.kafka_partitions)
    ensure_topics(kafka, ns)
    return KafkaSink(RecordProducer(kafka, linger_ms=5.0), ns)
