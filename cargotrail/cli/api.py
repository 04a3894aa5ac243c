"""``cargotrail api`` (serve the HTTP API) and ``cargotrail api-token`` (create, list, revoke tokens)."""

from __future__ import annotations

from collections.abc import Callable
from types import FrameType
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cargotrail.errors import CargotrailError, ConfigError
from cargotrail.settings import Settings

err = Console(stderr=True)
token_app = typer.Typer(
    help="API tokens with roles: operator, auditor, integrator, admin.", no_args_is_help=True
)
ROLES = ("operator", "auditor", "integrator", "admin")


def _serve(app: Any, on_exit: Callable[[], None], **options: Any) -> None:
    """Run uvicorn; on SIGTERM/SIGINT call ``on_exit`` first (live streams would hold shutdown up)."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            on_exit()
            super().handle_exit(sig, frame)

    Server(uvicorn.Config(app, **options)).run()


def _fail(exc: CargotrailError) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(str(exc))}")
    return typer.Exit(code=2)


def api(
    port: int = typer.Option(8000, envvar="CARGOTRAIL_API_PORT", help="Port to listen on."),
    host: str = typer.Option(
        "127.0.0.1", envvar="CARGOTRAIL_API_HOST", help="Address to bind (0.0.0.0 in a container)."
    ),
    bootstrap_token: str = typer.Option(
        "",
        envvar="CARGOTRAIL_API_BOOTSTRAP_TOKEN",
        show_default=False,
        help="A token (32+ characters) to accept from the start, e.g. a deployment's secret: prefer the "
        "environment variable to the command line. Changing it replaces the previous one.",
    ),
    bootstrap_role: str = typer.Option(
        "operator",
        envvar="CARGOTRAIL_API_BOOTSTRAP_ROLE",
        help=f"The bootstrap token's role: {', '.join(ROLES)}.",
    ),
    bootstrap_name: str = typer.Option(
        "bootstrap", envvar="CARGOTRAIL_API_BOOTSTRAP_NAME", help="The bootstrap token's name (triage logs)."
    ),
    live_poll_s: float = typer.Option(
        0.5, envvar="CARGOTRAIL_API_LIVE_POLL_S", min=0.05, help="How often the live feed polls the store."
    ),
    live_heartbeat_s: float = typer.Option(
        15.0, envvar="CARGOTRAIL_API_LIVE_HEARTBEAT_S", min=1.0, help="Heartbeat of quiet live streams."
    ),
    live_queue: int = typer.Option(
        2000, envvar="CARGOTRAIL_API_LIVE_QUEUE", min=10, help="Changes a slow live client may fall behind."
    ),
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) over the data directory's store and ledger."""
    from services.api import create_app
    from services.api.live import LiveConfig
    from services.api.tokens import Role, TokenStore

    settings = Settings.from_env()
    live = LiveConfig(poll_s=live_poll_s, heartbeat_s=live_heartbeat_s, queue_size=live_queue)
    try:
        if not settings.store_url and not settings.sqlite_path.exists():
            raise ConfigError(f"no store at {settings.sqlite_path}: set CARGOTRAIL_DATA_DIR to a run's data")
        if bootstrap_role not in ROLES:
            raise ConfigError(f"bootstrap role {bootstrap_role!r}: expected one of {', '.join(ROLES)}")
        tokens = TokenStore.for_data_dir(settings.data_dir)
        if bootstrap_token:
            entry = tokens.ensure(bootstrap_token, Role(bootstrap_role), bootstrap_name)
            err.print(f"bootstrap token {entry.token_id} ({entry.role.value}, {escape(entry.name)}) accepted")
        if not tokens.entries():
            err.print("[yellow]no API tokens yet:[/] create one with `cargotrail api-token create`")
        app = create_app(settings, live=live)
    except CargotrailError as exc:
        raise _fail(exc) from None
    _serve(
        app,
        app.state.live.end_streams_soon,
        host=host,
        port=port,
        timeout_keep_alive=5,  # idle keep-alive connections are closed after 5 s
        timeout_graceful_shutdown=10,
        limit_concurrency=200,  # beyond this, 503 instead of queueing without bound
        h11_max_incomplete_event_size=64 * 1024,
    )


@token_app.command("create")
def create(
    role: str = typer.Option(..., help=f"One of {', '.join(ROLES)}."),
    name: str = typer.Option(..., help="Who the token is for (the operator name in triage logs)."),
) -> None:
    """Create a token and print it once: only its hash is kept (in the data directory)."""
    from services.api.tokens import Role, TokenStore

    if role not in ROLES:
        raise _fail(ConfigError(f"--role {role!r}: expected one of {', '.join(ROLES)}"))
    try:
        store = TokenStore.for_data_dir(Settings.from_env().data_dir)
        entry, token = store.create(Role(role), name)
    except CargotrailError as exc:
        raise _fail(exc) from None
    who = f"{entry.role.value}, {escape(entry.name)}"
    err.print(f"token {entry.token_id} ({who}): store it now, it is not shown again")
    typer.echo(token)


@token_app.command("list")
def list_tokens() -> None:
    """The tokens (id, name, role; never the token)."""
    from services.api.tokens import TokenStore

    try:
        entries = TokenStore.for_data_dir(Settings.from_env().data_dir).entries()
    except CargotrailError as exc:
        raise _fail(exc) from None
    table = Table("id", "name", "role")
    for e in entries:
        table.add_row(e.token_id, escape(e.name), e.role.value)
    Console().print(table)


@token_app.command("revoke")
def revoke(token_id: str = typer.Argument(..., help="The token's id (from `api-token list`).")) -> None:
    """Revoke a token: it is refused from the next request on."""
    from services.api.tokens import TokenStore

    try:
        done = TokenStore.for_data_dir(Settings.from_env().data_dir).revoke(token_id)
    except CargotrailError as exc:
        raise _fail(exc) from None
    if not done:
        raise _fail(ConfigError(f"no token with id {token_id}"))
    err.print(f"revoked {token_id}")


def register(app: typer.Typer) -> None:
    app.command("api")(api)
    app.add_typer(token_app, name="api-token")
