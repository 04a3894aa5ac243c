"""The ``cargotrail`` command: ``demo``, ``run`` (and more as the platform grows)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cargotrail.durations import parse_duration
from cargotrail.errors import CargotrailError
from cargotrail.settings import Settings

app = typer.Typer(
    help="cargotrail: container visibility for ports and customs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


def _fail(exc: CargotrailError) -> typer.Exit:
    console.print(f"[red]error:[/] {exc}")
    return typer.Exit(code=2)


@app.command()
def run(
    containers: int = typer.Option(500, help="Containers in the simulated fleet."),
    duration: str = typer.Option("1d", help="Simulated time to cover, e.g. 90m, 12h, 3d."),
    seed: int = typer.Option(7, help="Seed: the same seed gives the same run."),
    anomalies: int = typer.Option(10, help="Injected anomalies per kind (0 for a clean run)."),
    report: Path | None = typer.Option(None, help="Write the JSON report here."),
    out_of_order: float = typer.Option(
        0.0, help="Share of readings delivered late, within the lateness bound (exercises reordering)."
    ),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Run a seeded simulation headless through the embedded pipeline and report on it."""
    from cargotrail.cli.run import RunRequest, run_simulation, write_report

    try:
        settings = Settings.from_env()
        result = run_simulation(
            settings,
            RunRequest(
                containers=containers,
                duration_s=parse_duration(duration),
                seed=seed,
                anomalies_per_kind=anomalies,
                out_of_order_share=out_of_order,
            ),
            progress=not quiet,
        )
    except CargotrailError as exc:
        raise _fail(exc) from None
    write_report(result, report)
    table = Table("anomaly", "injected", "tp", "fp", "precision", "recall", title="Detection vs ground truth")
    for kind, s in result["detection"].items():
        table.add_row(
            kind,
            str(int(s["tp"] + s["fn"])),
            str(int(s["tp"])),
            str(int(s["fp"])),
            f"{s['precision']:.3f}",
            f"{s['recall']:.3f}",
        )
    Console().print(table)
    Console().print(json.dumps({k: v for k, v in result.items() if k != "detection"}, default=str))


@app.command()
def demo(
    containers: int = typer.Option(500, help="Containers in the simulated fleet."),
    speed: float = typer.Option(120.0, help="Simulated seconds per wall-clock second."),
    warmup: str = typer.Option("1d", help="Simulated history to build before going live."),
    port: int | None = typer.Option(None, help="Dashboard port (default CARGOTRAIL_DASHBOARD_PORT or 8501)."),
    open_browser: bool = typer.Option(False, "--open", help="Open a browser on the dashboard."),
) -> None:
    """Simulated cargo through the embedded pipeline, live, with the control tower dashboard."""
    from cargotrail.cli.demo import run_demo

    try:
        run_demo(
            Settings.from_env(),
            containers=containers,
            speed=speed,
            warmup_s=parse_duration(warmup),
            port=port,
            open_browser=open_browser,
        )
    except CargotrailError as exc:
        raise _fail(exc) from None


# The auditor's commands live in their own module; registered here, after the app's own commands.
from cargotrail.cli.verify import register as _register_verify  # noqa: E402

_register_verify(app)

# The Kafka runtime's commands (`worker`, `run --runtime kafka`) live in their own module too.
from cargotrail.cli.kafka import register as _register_kafka  # noqa: E402

_register_kafka(app)

# Integrator input: `ingest FILE`, the dead-letter queue (`dlq`) and the device registry (`devices`).
from cargotrail.cli.ingest import register as _register_ingest  # noqa: E402

_register_ingest(app)

# The HTTP API: `api --port N` and its tokens (`api-token create --role R --name N`).
from cargotrail.cli.api import register as _register_api  # noqa: E402

_register_api(app)

# Ingest transports as a server: `ingest-server` (HTTP batches, optionally MQTT).
from cargotrail.cli.ingest_server import register as _register_ingest_server  # noqa: E402

_register_ingest_server(app)

# Kafka-direct ingest: `ingest-kafka` (integrators' raw topic -> telemetry topic or DLQ).
from cargotrail.cli.ingest_kafka import register as _register_ingest_kafka  # noqa: E402

_register_ingest_kafka(app)


if __name__ == "__main__":
    app()
