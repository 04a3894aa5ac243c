"""``cargotrail ingest-kafka``: the Kafka-direct ingest consumer (raw topic -> telemetry topic or DLQ).

Integrators produce readings to ``<prefix>.ingest.raw`` with the ``schema-version`` header; this
command checks them and forwards the valid ones (see ``services.ingest.kafka_direct``). It runs
until interrupted (Ctrl-C / SIGTERM), committing offsets after every acknowledged chunk.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer
from rich.console import Console
from rich.markup import escape

from cargotrail.errors import CargotrailError
from cargotrail.settings import Settings

err = Console(stderr=True, soft_wrap=True)


def ingest_kafka(
    bootstrap: str | None = typer.Option(None, help="Kafka bootstrap (default CARGOTRAIL_KAFKA_BOOTSTRAP)."),
    prefix: str | None = typer.Option(None, help="Topic namespace (default CARGOTRAIL_KAFKA_PREFIX)."),
    group: str | None = typer.Option(None, help="Consumer group (default <prefix>-ingest-direct)."),
) -> None:
    """Consume <prefix>.ingest.raw: valid readings to <prefix>.telemetry, the rest to <prefix>.dlq."""
    from cargotrail.kafka.producer import RecordProducer
    from cargotrail.kafka.topics import Namespace, ensure_topics
    from services.ingest.kafka_direct import KafkaDirectIngest, ensure_raw_topic
    from services.ingest.kafka_sink import KafkaSink

    settings = Settings.from_env()
    boot = bootstrap or settings.kafka_bootstrap
    ns = Namespace(prefix or settings.kafka_prefix, settings.kafka_partitions)
    stop = threading.Event()

    def on_signal(_: int, __: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        ensure_topics(boot, ns)
        ensure_raw_topic(boot, ns)
        sink = KafkaSink(RecordProducer(boot, linger_ms=5.0), ns)
        consumer = KafkaDirectIngest(boot, ns, sink, max_future_s=settings.max_future_s, group=group)
        err.print(
            f"consuming {consumer.topic} on {boot}: readings to {ns.telemetry}, rejections to {sink.dlq}"
        )
        try:
            consumer.run(stop)
        finally:
            consumer.close()
    except CargotrailError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    c = consumer.counters
    err.print(f"stopped: {c.consumed} records, {c.accepted} forwarded, {c.rejected} dead-lettered")


def register(app: typer.Typer) -> None:
    app.command("ingest-kafka")(ingest_kafka)
