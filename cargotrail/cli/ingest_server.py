"""``cargotrail ingest-server``: HTTP batch ingest (uvicorn), optionally with an MQTT subscriber.

Both transports feed one ``IngestGateway`` (one embedded runtime per process). The MQTT password is
read from the ``MQTT_PASSWORD`` environment variable, never from the command line.
"""

from __future__ import annotations

import os

import typer
from rich.console import Console
from rich.markup import escape

from cargotrail.errors import CargotrailError
from cargotrail.settings import Settings

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
) -> None:
    """Serve POST /v1/readings (and MQTT cargotrail/readings/<device>); rejected input goes to the DLQ."""
    import uvicorn

    from services.ingest.http import IngestGateway, create_app
    from services.ingest.mqtt import MqttConfig, MqttIngest

    try:
        gateway = IngestGateway(Settings.from_env())
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


def register(app: typer.Typer) -> None:
    app.command("ingest-server")(ingest_server)
