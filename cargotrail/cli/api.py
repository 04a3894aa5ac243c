"""``cargotrail api`` (serve the HTTP API) and ``cargotrail api-token`` (create, list, revoke tokens)."""

from __future__ import annotations

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


def _fail(exc: CargotrailError) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(str(exc))}")
    return typer.Exit(code=2)


def api(
    port: int = typer.Option(8000, help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", help="Address to bind (0.0.0.0 in a container)."),
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) over the data directory's store and ledger."""
    import uvicorn

    from services.api import create_app

    settings = Settings.from_env()
    try:
        if not settings.store_url and not settings.sqlite_path.exists():
            raise ConfigError(f"no store at {settings.sqlite_path}: set CARGOTRAIL_DATA_DIR to a run's data")
        app = create_app(settings)
    except CargotrailError as exc:
        raise _fail(exc) from None
    uvicorn.run(
        app,
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
