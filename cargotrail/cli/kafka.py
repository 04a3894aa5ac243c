"""CLI for the Kafka runtime: ``cargotrail worker`` and ``cargotrail run --runtime kafka``.

``register(app)`` is called at the bottom of ``cli.main``. It adds ``worker`` and
gives the existing ``run`` command a ``--runtime`` option (default ``embedded``:
the original command, untouched) plus the Kafka options, by wrapping its callback.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console

from cargotrail.errors import CargotrailError, ConfigError
from cargotrail.settings import Settings


def worker(
    partitions: int | None = typer.Option(
        None, help="Partitions per topic (default CARGOTRAIL_KAFKA_PARTITIONS)."
    ),
    prefix: str | None = typer.Option(None, help="Topic namespace (default CARGOTRAIL_KAFKA_PREFIX)."),
    tickless: bool = typer.Option(False, help="The feed sends no ticks: each taken chunk is a micro-batch."),
) -> None:
    """Run one Faust stream worker of the Kafka runtime (as many as you like; partitions are shared)."""
    import dataclasses

    from cargotrail.kafka.topics import Namespace
    from cargotrail.kafka.worker import run_worker

    try:
        s = Settings.from_env()
        s = dataclasses.replace(
            s, kafka_prefix=prefix or s.kafka_prefix, kafka_partitions=partitions or s.kafka_partitions
        )
        run_worker(s, Namespace(s.kafka_prefix, s.kafka_partitions), tickless=tickless)
    except CargotrailError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc}")
        raise typer.Exit(code=2) from None


_EXTRA = [
    inspect.Parameter(
        "runtime",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=str,
        default=typer.Option("embedded", help="embedded or kafka (Faust workers)"),
    ),
    inspect.Parameter(
        "workers",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=int,
        default=typer.Option(2, help="Kafka runtime: worker processes to start."),
    ),
]


def _with_runtime(original: Callable[..., None]) -> Callable[..., None]:
    sig = inspect.signature(original, eval_str=True)  # typer needs real types, not strings

    def run(**kwargs: Any) -> None:
        runtime, workers = kwargs.pop("runtime"), kwargs.pop("workers")
        if runtime == "embedded":
            return original(**kwargs)
        if runtime != "kafka":
            raise typer.BadParameter(f"--runtime {runtime!r}: expected embedded or kafka")
        _run_kafka(workers=workers, **kwargs)
        return None

    run.__signature__ = sig.replace(parameters=[*sig.parameters.values(), *_EXTRA])  # type: ignore[attr-defined]
    run.__doc__ = (original.__doc__ or "") + " With --runtime kafka, through Faust workers on Apache Kafka."
    return run


def _run_kafka(
    *,
    workers: int,
    containers: int,
    duration: str,
    seed: int,
    anomalies: int,
    report: Any,
    out_of_order: float,
    quiet: bool,
) -> None:
    from cargotrail.cli.kafka_run import run_on_kafka
    from cargotrail.cli.run import RunRequest, write_report
    from cargotrail.durations import parse_duration

    try:
        req = RunRequest(
            containers=containers,
            duration_s=parse_duration(duration),
            seed=seed,
            anomalies_per_kind=anomalies,
            out_of_order_share=out_of_order,
        )
        result = run_on_kafka(Settings.from_env(), req, workers=workers, progress=not quiet)
    except CargotrailError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    write_report(result, report)
    Console().print(json.dumps(result, default=str))


def register(app: typer.Typer) -> None:
    app.command()(worker)
    for info in app.registered_commands:
        if info.callback is not None and info.callback.__name__ == "run":
            info.callback = _with_runtime(info.callback)
            return
    raise ConfigError("cargotrail.cli.kafka: no `run` command to extend")
