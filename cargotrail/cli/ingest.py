"""``cargotrail ingest FILE``, ``cargotrail dlq list|replay`` and ``cargotrail devices ...``.

Exit codes: 0 when every message was accepted or explained, 1 when some were rejected (they are
in the dead-letter table), 2 on usage or configuration errors. Results go to stdout (``--json``
for machines), errors to stderr.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from cargotrail.errors import CargotrailError
from cargotrail.settings import Settings

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
dlq_app = typer.Typer(
    help="Dead letters: rejected input with its reason and raw payload.", no_args_is_help=True
)
devices_app = typer.Typer(
    help="Device registry: keys, tracker bindings, vessel manifests.", no_args_is_help=True
)


def _fail(exc: CargotrailError) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(str(exc))}")
    return typer.Exit(EXIT_USAGE)


def _report_dict(report: Any) -> dict[str, Any]:
    return {
        "source": report.source,
        "accepted": report.accepted,
        "rejected": len(report.rejections),
        "skipped": len(report.skipped),
        "rejections": [
            {"position": r.position, "record": r.record, "field": r.field, "reason": r.reason}
            for r in report.rejections
        ],
        "skips": [{"position": s.position, "record": s.record, "reason": s.reason} for s in report.skipped],
        "bindings": [{"device": d, "container": c} for d, c in report.bindings],
    }


def _print_report(data: dict[str, Any]) -> None:
    counts = f"accepted {data['accepted']}, rejected {data['rejected']}, skipped {data['skipped']}"
    out.print(f"{counts} ({data['source']})")
    for r in data["rejections"]:
        field = f" [{r['field']}]" if r["field"] else ""
        out.print(f"  rejected #{r['position']} {escape(r['record'])}{field}: {escape(r['reason'])}")
    for s in data["skips"]:
        out.print(f"  skipped  #{s['position']} {escape(s['record'])}: {escape(s['reason'])}")


def ingest(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The file to ingest."),
    fmt: str = typer.Option(..., "--format", help="epcis | nmea | ais | json"),
    device: str | None = typer.Option(None, help="The device an NMEA file came from."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Ingest a file of integrator input into the data directory; rejected messages go to the DLQ."""
    from services.ingest.pipeline import ingest_payload

    try:
        report = ingest_payload(Settings.from_env(), fmt, file.read_bytes(), device=device, clock=time.time)
    except CargotrailError as exc:
        raise _fail(exc) from None
    data = _report_dict(report)
    out.print_json(json.dumps(data)) if as_json else _print_report(data)
    raise typer.Exit(EXIT_REJECTED if report.rejections else EXIT_OK)


@dlq_app.command("list")
def dlq_list(
    limit: int = typer.Option(200, help="Newest dead letters to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List dead letters, newest first, with their reason and whether they were replayed."""
    from services.ingest.dlq import list_dead_letters

    try:
        letters, done = list_dead_letters(Settings.from_env(), limit=limit)
    except CargotrailError as exc:
        raise _fail(exc) from None
    rows = [
        {
            "id": d.id,
            "ts": d.ts,
            "source": d.rejection.source,
            "record": d.rejection.record,
            "field": d.rejection.field,
            "reason": d.rejection.reason,
            "raw": d.rejection.raw,
            "replayed": d.replayed or d.id in done,
        }
        for d in letters
    ]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    for d in letters:
        mark = " (replayed)" if d.replayed or d.id in done else ""
        rj = d.rejection
        out.print(f"{d.id} {rj.source} {escape(rj.record)}{mark}: {escape(rj.reason)}")


@dlq_app.command("replay")
def dlq_replay(
    letter_id: int | None = typer.Option(None, "--id", help="Replay only this dead letter."),
    payload: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="Corrected payload (with --id)."
    ),
    device: str | None = typer.Option(None, help="Device for NMEA dead letters (default: from the record)."),
    kafka: str | None = typer.Option(
        None, help="Send to this Kafka broker's telemetry topic (as ingest-server --kafka), not the store."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Replay dead letters (after fixing the registry, or with a corrected payload); refused ones stay.

    They go where live ingest goes: the embedded runtime, or with ``--kafka`` the telemetry topic.
    """
    from services.ingest.dlq import replay

    try:
        outcomes = replay(
            Settings.from_env(),
            letter_id=letter_id,
            payload=payload.read_bytes() if payload else None,
            device=device,
            clock=time.time,
            kafka=kafka,
        )
    except CargotrailError as exc:
        raise _fail(exc) from None
    rows = [{"id": letter.id, **_report_dict(report)} for letter, report in outcomes]
    if as_json:
        out.print_json(json.dumps(rows))
    else:
        for row in rows:
            out.print(f"dead letter {row['id']}:", end=" ")
            _print_report(row)
    raise typer.Exit(EXIT_REJECTED if any(r["rejected"] for r in rows) else EXIT_OK)


def _edit_registry(change: Any) -> None:
    from services.ingest.pipeline import load_registry, save_registry

    try:
        settings = Settings.from_env()
        registry = load_registry(settings.data_dir)
        change(registry)
        save_registry(settings.data_dir, registry)
    except CargotrailError as exc:
        raise _fail(exc) from None


@devices_app.command("add")
def devices_add(
    device: str = typer.Argument(..., help="Device id."),
    ed25519_public_key: str | None = typer.Option(
        None, help="The device signs with Ed25519: its raw 32-byte public key, hex (no secret kept here)."
    ),
) -> None:
    """Register a device: a fresh HMAC key printed once (give it to the device), or its Ed25519 public key."""
    if ed25519_public_key is not None:
        from cargotrail.errors import ConfigError

        try:
            public_key = bytes.fromhex(ed25519_public_key)
        except ValueError:
            raise _fail(ConfigError("--ed25519-public-key must be hex")) from None
        _edit_registry(lambda r: r.add_ed25519_device(device, public_key))
        return
    keys: list[bytes] = []
    _edit_registry(lambda r: keys.append(r.add_device(device)))
    out.print(keys[0].hex())


@devices_app.command("bind")
def devices_bind(device: str = typer.Argument(...), container: str = typer.Argument(...)) -> None:
    """Bind a tracker device to the container it is fixed to (ISO 6346 number)."""
    _edit_registry(lambda r: r.bind(device, container))


@devices_app.command("manifest")
def devices_manifest(mmsi: int = typer.Argument(...), containers: list[str] = typer.Argument(...)) -> None:
    """Set the containers on board the vessel ``mmsi`` (AIS positions become their readings)."""
    from cargotrail.contract.iso6346 import is_valid_container_id
    from cargotrail.errors import ConfigError

    bad = [c for c in containers if not is_valid_container_id(c)]
    if bad:
        raise _fail(ConfigError(f"not valid ISO 6346 container numbers: {', '.join(bad)}"))
    _edit_registry(lambda r: r.manifest.__setitem__(mmsi, list(containers)))


def register(app: typer.Typer) -> None:
    """Add ``ingest`` and the ``dlq`` and ``devices`` groups to the ``cargotrail`` command."""
    app.command("ingest")(ingest)
    app.add_typer(dlq_app, name="dlq")
    app.add_typer(devices_app, name="devices")
