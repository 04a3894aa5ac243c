"""``cargotrail ingest-server``: HTTP batch ingest (uvicorn), optionally MQTT and NMEA 0183 streams.

Readings go through the embedded runtime into the data directory, or with ``--kafka`` to the
telemetry topic (and rejections to the DLQ topic) for the Kafka runtime's workers.

All transports feed one ``IngestGateway`` (one sink per process). The MQTT password is
read from the ``MQTT_PASSWORD`` environment variable, never from the command line.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from cargotrail.errors import CargotrailError
from cargotrail.settings import Settings

if TYPE_CHECKING:
    from services.ingest.gateway import IngestGateway
    from services.ingest.mqtt import MqttIngest
    from services.ingest.nmea_stream import NmeaListener

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
    mqtt_require_signature: bool = typer.Option(
        False, help="Refuse unsigned MQTT messages (each must be a device's signed envelope wrapper)."
    ),
    kafka: str | None = typer.Option(
        None, help="Send to this Kafka broker (telemetry and DLQ topics) instead of the embedded runtime."
    ),
    nmea_device: str | None = typer.Option(
        None, help="Device of the NMEA 0183 stream (--nmea-tcp/--nmea-udp)."
    ),
    nmea_tcp: int | None = typer.Option(
        None, help="Also read NMEA 0183 lines from TCP connections on this port."
    ),
    nmea_udp: int | None = typer.Option(
        None, help="Also read NMEA 0183 lines from UDP datagrams on this port."
    ),
) -> None:
    """Serve POST /v1/readings (and MQTT cargotrail/readings/<device>); rejected input goes to the DLQ."""
    import uvicorn

    from services.ingest.gateway import IngestGateway
    from services.ingest.http import create_app
    from services.ingest.mqtt import MqttConfig, MqttIngest
    from services.ingest.nmea_stream import NmeaListener, StreamConfig
    from services.ingest.sink_choice import open_sink

    if (nmea_tcp is not None or nmea_udp is not None) and not nmea_device:
        err.print("[red]error:[/] an NMEA stream is bound to one device: pass --nmea-device ID")
        raise typer.Exit(2)
    try:
        settings = Settings.from_env()
        gateway = IngestGateway(settings, sink=open_sink(settings, kafka=kafka, clock=time.time))
    except CargotrailError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    transports: list[MqttIngest | NmeaListener] = []  # started ones, stopped before the gateway closes
    try:
        if mqtt:
            config = MqttConfig.from_address(
                mqtt,
                username=mqtt_user,
                password=os.environ.get("MQTT_PASSWORD", ""),
                client_id=mqtt_client_id,
                require_signature=mqtt_require_signature,
            )
            transports.append(MqttIngest(gateway, config))
            transports[-1].start()
        if nmea_device and (nmea_tcp is not None or nmea_udp is not None):
            stream = StreamConfig(nmea_device, host=host, tcp_port=nmea_tcp, udp_port=nmea_udp)
            transports.append(NmeaListener(gateway, stream))
            transports[-1].start()
    except (ValueError, OSError) as exc:  # ConnectionError and a busy port are OSErrors
        _stop(transports, gateway)
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    try:
        uvicorn.run(
            create_app(gateway, require_signature=require_signature, stop_first=[t.stop for t in transports]),
            host=host,
            port=port,
            timeout_keep_alive=5,
            timeout_graceful_shutdown=30,
        )
    finally:  # the app's shutdown did this already, unless uvicorn never started
        _stop(transports, gateway)


def _stop(transports: list[MqttIngest | NmeaListener], gateway: IngestGateway) -> None:
    for transport in transports:
        transport.stop()
    gateway.close()


def register(app: typer.Typer) -> None:
    app.command("ingest-server")(ingest_server)
