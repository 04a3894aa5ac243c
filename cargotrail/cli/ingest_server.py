"""``cargotrail ingest-server``: HTTP batch ingest (uvicorn), optionally with an MQTT subscriber.

Readings go through the embedded runtime into the data directory, or with ``--kafka`` to the
telemetry topic (and rejections to the DLQ topic) for the Kafka runtime's workers.

Both transports feed one ``IngestGateway`` (one sink per process). The MQTT password is
read from the ``MQTT_PASSWORD`` environment variable, never from the command line.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from cargotrail.errors import CargotrailError
from cargotrail.settings import Settings

if TYPE_CHECKING:
    from services.ingest.kafka_sink import KafkaSink

err = Console(stderr=True, soft_wrap=True)


def ingest_server(
    port: int = typer.Option(8600, help="HTTP port."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0 in a container)."),
    require_signature: bool = typer.Option(
        False, help="Refuse unsigned HTTP batches (each must carry a device's signed envelope)."
    ),
    mqtt: str | None = typer.Option(None, help="Also subscribe to this MQTT broker, host:port."),
    mqtt_user: str = typer.Option("", help="MQTT username (password: the MQTT_PASSWORD variable)."),
    mqtt_client_id: str = typer.Option("cargotrail-ingest", help="MQTT client id (keeps the session)."),
    kafka: str | None = typer.Option(
        None, help="Send to this Kafka broker (telemetry and DLQ topics) instead of the embedded runtime."
    ),
) -> None:
    """Serve POST /v1/readings (and MQTT cargotrail/readings/<device>); rejected input goes to the DLQ."""
    import uvicorn

    from services.ingest.gateway import IngestGateway
    from services.ingest.http import create_app
    from services.ingest.mqtt import MqttConfig, MqttIngest

    try:
        settings = Settings.from_env()
        gateway = IngestGateway(settings, sink=_kafka_sink(settings, kafka) if kafka else None)
    except CargotrailError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    subscriber: MqttIngest | None = None
    if mqtt:
        try:
            config = MqttConfig.from_address(
                mqtt,
                username=mqtt_user,
                password=os.environ.get("MQTT_PASSWORD", ""),
                client_id=mqtt_client_id,
            )
            subscriber = MqttIngest(gateway, config)
            subscriber.start()
        except (ValueError, ConnectionError) as exc:
            gateway.close()
            err.print(f"[red]error:[/] {escape(str(exc))}")
            raise typer.Exit(2) from None
    try:
        uvicorn.run(
            create_app(gateway, require_signature=require_signature),
            host=host,
            port=port,
            timeout_keep_alive=5,
            timeout_graceful_shutdown=30,
        )
    finally:
        if subscriber is not None:
            subscriber.stop()
        gateway.close()


def _kafka_sink(settings: Settings, bootstrap: str) -> KafkaSink:
    from cargotrail.kafka.producer import RecordProducer
    from cargotrail.kafka.topics import Namespace, ensure_topics
    from services.ingest.kafka_sink import KafkaSink

    ns = Namespace(settings.kafka_prefix, settings.kafka_partitions)
    ensure_topics(bootstrap, ns)
    return KafkaSink(RecordProducer(bootstrap, linger_ms=5.0), ns, lateness_s=settings.lateness_s)


def register(app: typer.Typer) -> None:
    app.command("ingest-server")(ingest_server)
