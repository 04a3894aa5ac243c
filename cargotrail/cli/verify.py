"""``cargotrail verify`` and ``cargotrail proof export``: the auditor's commands.

Exit codes (the contract scripts rely on): 0 when everything verifies, 1 when
a verification fails (including a ledger log that does not verify on open),
2 on usage or configuration errors (missing record, unreadable bundle or key
file, bad times, no data directory). Results go to stdout (``--json`` for
machines), progress and errors to stderr.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from cargotrail.errors import CargotrailError, ConfigError, VerificationError
from cargotrail.settings import Settings

if TYPE_CHECKING:
    from ledger.fabric.ledger import FabricLedger
    from ledger.local import LocalLedger
    from store.base import Repository

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

out = Console(soft_wrap=True)  # soft wrap: ids and hashes are never broken across lines
err = Console(stderr=True, soft_wrap=True)
proof_app = typer.Typer(help="Proof bundles: one record with all it takes to verify it offline.")


def _usage(message: str) -> typer.Exit:
    err.print(f"[red]usage:[/] {escape(message)}")
    return typer.Exit(EXIT_USAGE)


def _time(value: str | None, option: str, default: datetime) -> datetime:
    if value is None:
        return default
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise _usage(f"{option} {value!r} is not an ISO 8601 time (e.g. 2026-03-02T08:00:00Z)") from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def _open(settings: Settings) -> tuple[Repository, LocalLedger | FabricLedger]:
    """The store and ledger of the data directory, refusing to create empty ones."""
    from cargotrail.wiring import LEDGER_DIR, open_ledger, open_store
    from ledger.local import LOG_NAME

    if not settings.sqlite_path.exists():
        raise ConfigError(f"no store at {settings.sqlite_path}: set CARGOTRAIL_DATA_DIR to the run's data")
    if settings.ledger == "local" and not (settings.data_dir / LEDGER_DIR / LOG_NAME).exists():
        raise ConfigError(f"no local ledger in {settings.data_dir / LEDGER_DIR}")
    store = open_store(settings)
    try:
        return store, open_ledger(settings)
    except BaseException:
        store.close()
        raise


def _emit_json(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def _print_check(check: Any) -> None:
    verdict = "[green]verified[/]" if check.ok else "[red]FAILED[/]"
    out.print(f"{verdict} {check.kind or '?'} record {check.record_id} (batch {check.batch_id or '-'})")
    if not check.ok:
        out.print(f"  {escape(check.problem)}")


def _verify_record(settings: Settings, record_id: str, as_json: bool) -> bool:
    from cargotrail.audit import verify_record

    store, ledger = _open(settings)
    try:
        check = verify_record(store, ledger, record_id)
    finally:
        store.close()
    if not check.in_store:
        raise _usage(f"record {record_id} is not in the store {settings.sqlite_path}")
    if as_json:
        _emit_json(check.to_dict())
    else:
        _print_check(check)
    return bool(check.ok)


def _verify_trail(settings: Settings, container: str, start: datetime, end: datetime, as_json: bool) -> bool:
    from cargotrail.audit import verify_trail

    store, ledger = _open(settings)
    columns = (TextColumn("[bold]verifying[/]"), BarColumn(), MofNCompleteColumn())
    try:
        with Progress(*columns, console=err, transient=True, disable=as_json) as bar:
            task = bar.add_task("trail", total=None)
            report = verify_trail(
                store,
                ledger,
                container,
                start,
                end,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    finally:
        store.close()
    if report.records == 0:
        raise _usage(f"no records of container {container} between {start.isoformat()} and {end.isoformat()}")
    if as_json:
        _emit_json(report.to_dict())
        return report.ok
    table = Table("", "", title="Trail verification", show_header=False)
    rows = {
        "container": container,
        "from": "(beginning)" if start.year == datetime.min.year else start.isoformat(),
        "to": "(end)" if end.year == datetime.max.year else end.isoformat(),
        "records": str(report.records),
        "verified": str(report.verified),
        "failed": str(report.failed),
        "batches": f"{len(report.batches)} in stream(s) {', '.join(report.streams)}",
        "chain problems": str(len(report.chain_problems)),
        "result": "[green]OK[/]" if report.ok else "[red]FAILED[/]",
    }
    for name, value in rows.items():
        table.add_row(name, value)
    out.print(table)
    for check in report.failures:
        _print_check(check)
    for problem in report.chain_problems:
        out.print(f"[red]chain[/] {escape(str(problem))}")
    return report.ok


def _fabric_cas(settings: Settings, ca_dir: Path | None) -> tuple[dict[str, bytes], str]:
    """The auditor's CA certificates of the Fabric organisations, and where they came from."""
    from ledger.fabric.trust import org_cas_from_dir, parse_org_cas

    if ca_dir is not None:
        return org_cas_from_dir(ca_dir), str(ca_dir)
    if settings.fabric_org_cas:
        return parse_org_cas(settings.fabric_org_cas), "CARGOTRAIL_FABRIC_ORG_CAS"
    raise _usage(
        "a Fabric bundle is verified with the organisations' CA certificates: give --ca-certs DIR"
        " (the bundle's own copies are not trusted)"
    )


def _verify_bundle(
    settings: Settings, path: Path, key: Path | None, ca_dir: Path | None, as_json: bool
) -> bool:
    from cargotrail.audit import bundle_ledger, verify_bundle
    from cargotrail.wiring import LEDGER_DIR
    from ledger.keys import PUBLIC_NAME

    try:
        bundle = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise _usage(f"cannot read proof bundle {path}: {exc}") from None
    kind = bundle_ledger(bundle)
    if kind == "fabric":
        if key is not None:
            raise _usage(f"{path} is anchored on Fabric: give --ca-certs DIR, not --public-key")
        cas, trusted = _fabric_cas(settings, ca_dir)
        check = verify_bundle(bundle, org_cas=cas)
    else:
        if ca_dir is not None:
            raise _usage(f"{path} is anchored on the {kind} ledger: --ca-certs is for Fabric bundles")
        key = key or settings.data_dir / LEDGER_DIR / PUBLIC_NAME
        try:
            pem = key.read_bytes()
        except OSError as exc:
            raise _usage(f"cannot read the ledger's public key {key}: {exc}") from None
        check, trusted = verify_bundle(bundle, pem), str(key)
    if as_json:
        trust = "ca_certs" if kind == "fabric" else "public_key"
        _emit_json(check.to_dict() | {"bundle": str(path), trust: trusted})
    else:
        _print_check(check)
        if check.ok:
            endorsed = f", endorsed by {', '.join(check.endorsed_by)}" if check.endorsed_by else ""
            out.print(f"  anchored in {check.anchored_in}{endorsed} (trusting {escape(trusted)})")
    if check.block_unsigned:  # on stderr, so that --json still prints one document
        err.print(
            "[yellow]warning:[/] the block number is not authenticated: no OrdererMSP CA certificate among"
            f" {escape(trusted)}, so the ordering service's signature on the block was not checked"
        )
    return bool(check.ok)


def verify(
    record: str | None = typer.Option(None, "--record", help="Verify one record by its id."),
    container: str | None = typer.Option(None, "--container", help="Verify a container's trail (ISO 6346)."),
    start: str | None = typer.Option(
        None, "--from", help="Trail start, ISO 8601 (naive = UTC; default: all)."
    ),
    end: str | None = typer.Option(None, "--to", help="Trail end, ISO 8601 (naive = UTC; default: all)."),
    bundle: Path | None = typer.Option(None, "--bundle", help="Verify a proof bundle offline."),
    public_key: Path | None = typer.Option(
        None,
        "--public-key",
        help="Local-ledger bundles: the ledger's public key PEM "
        "(default: <data dir>/ledger/signing_key.pub.pem).",
    ),
    ca_certs: Path | None = typer.Option(
        None,
        "--ca-certs",
        help="Fabric bundles: a folder with each organisation's CA certificate, named by MSP id: "
        "<MSP id>.pem, or the organisation's MSP folder <MSP id>/ (its cacerts/*.pem), e.g. "
        "PortAuthorityMSP.pem and CustomsMSP.pem (default: CARGOTRAIL_FABRIC_ORG_CAS). "
        "The block in the bundle is audited: validity flag, client and endorsement signatures, "
        "CA chains, the two-organisation policy, the write set holding the root; with OrdererMSP.pem "
        "there too, the ordering service's signature on the block (without it the block number is "
        "not authenticated, and a warning says so). "
        "The CA certificates inside the bundle are never trusted.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable JSON on stdout."),
) -> None:
    """Verify against the ledger: one record, a container's whole trail, or a proof bundle (offline).

    Bundles need no network: a local one is checked with --public-key, a Fabric one with --ca-certs.
    """
    if sum(x is not None for x in (record, container, bundle)) != 1:
        raise _usage("give exactly one of --record ID, --container NUMBER, --bundle FILE")
    if (start or end) and container is None:
        raise _usage("--from/--to go with --container")
    if (public_key is not None or ca_certs is not None) and bundle is None:
        raise _usage("--public-key and --ca-certs go with --bundle")
    try:
        settings = Settings.from_env()
        if bundle is not None:
            ok = _verify_bundle(settings, bundle, public_key, ca_certs, as_json)
        elif record is not None:
            ok = _verify_record(settings, record, as_json)
        else:
            assert container is not None
            t0 = _time(start, "--from", datetime.min.replace(tzinfo=UTC))
            t1 = _time(end, "--to", datetime.max.replace(tzinfo=UTC))
            ok = _verify_trail(settings, container, t0, t1, as_json)
    except VerificationError as exc:  # e.g. the ledger's own log does not verify on open
        err.print(f"[red]verification failed:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_FAILED) from None
    except CargotrailError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    raise typer.Exit(EXIT_OK if ok else EXIT_FAILED)


@proof_app.command("export")
def export(record_id: str = typer.Argument(..., help="The record's id.")) -> None:
    """Write the proof bundle of one record to stdout as JSON (``> bundle.json``)."""
    from cargotrail.audit import export_bundle

    try:
        store, ledger = _open(Settings.from_env())
        try:
            bundle = export_bundle(store, ledger, record_id)
        finally:
            store.close()
    except VerificationError as exc:
        err.print(f"[red]verification failed:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_FAILED) from None
    except CargotrailError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    typer.echo(json.dumps(bundle, indent=2))


def register(app: typer.Typer) -> None:
    """Add ``verify`` and the ``proof`` group to the ``cargotrail`` command."""
    app.command("verify")(verify)
    app.add_typer(proof_app, name="proof")
