"""Forward-only, versioned migrations of the PostgreSQL store, applied at start.

Files ``store/migrations/postgres/NNNN_name.sql`` run in version order, each
once, recorded in ``schema_version``. A file whose first line is
``-- @generated store.postgres.layout`` stands for the statements that
``store.postgres.layout`` generates for the layout in force. All of it runs in
one transaction holding an advisory lock (per schema), so processes that start
together migrate once and the others wait, then find nothing left to do.

The layout is chosen once, when the store is first created, and recorded in
``store_layout``: TimescaleDB when the extension is installed (or can be),
otherwise native partitioning. Later starts keep it.
"""

from __future__ import annotations

import logging
import zlib
from importlib import resources

import psycopg
from psycopg import sql

from cargotrail.errors import StoreError
from store.postgres.connect import Conn
from store.postgres.layout import LAYOUTS, PARTITIONED, TIMESCALE, TimescalePolicy, layout_sql

GENERATED = "-- @generated store.postgres.layout"
log = logging.getLogger("cargotrail.store")


def migration_files() -> list[tuple[int, str, str]]:
    """(version, name, text) of every shipped migration, in order."""
    folder = resources.files("store") / "migrations" / "postgres"
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(int(n.split("_", 1)[0]), n.removesuffix(".sql"), (folder / n).read_text()) for n in names]


def migration_sql(text: str, layout: str, policy: TimescalePolicy) -> list[str]:
    """The statements one migration runs: the file itself, or the generated layout."""
    if text.startswith(GENERATED):
        return layout_sql(layout, policy)
    return [text]


def lock_key(schema: str) -> int:
    """The advisory lock that serialises migrations of one schema (a stable 32-bit hash)."""
    return zlib.crc32(f"cargotrail:migrate:{schema}".encode())


def _has_extension(conn: Conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_extension WHERE extname = %s", [name]).fetchone() is not None


def _try_extension(conn: Conn, name: str) -> bool:
    """Create extension ``name`` if the server offers it and we may; False otherwise (nothing changed)."""
    if _has_extension(conn, name):
        return True
    offered = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = %s", [name]).fetchone()
    if offered is None:
        return False
    try:
        with conn.transaction():  # a savepoint: a refusal must not abort the migration
            conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(name)))
        return True
    except psycopg.Error as exc:
        log.warning("extension %s is available but could not be created: %s", name, exc)
        return False


def migrate(conn: Conn, *, schema: str | None, layout: str | None, policy: TimescalePolicy) -> str:
    """Apply the pending migrations; return the layout in force (``timescale`` or ``partitioned``).

    ``layout`` forces a choice for a new store (a mismatch with an existing
    store's recorded layout is a ``StoreError``); ``None`` detects it.
    """
    if layout is not None and layout not in LAYOUTS:
        raise StoreError(f"unknown store layout {layout!r}: expected one of {LAYOUTS}")
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(schema or "public")])
        if schema:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        if not _try_extension(conn, "postgis"):
            raise StoreError(
                "PostGIS is required: as a superuser, run CREATE EXTENSION postgis in this database "
                "(deploy/postgres/up.sh does)"
            )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, name text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS store_layout "
            "(one boolean PRIMARY KEY DEFAULT true CHECK (one), layout text NOT NULL)"
        )
        row = conn.execute("SELECT layout FROM store_layout").fetchone()
        if row is None:
            chosen = layout or (TIMESCALE if _try_extension(conn, "timescaledb") else PARTITIONED)
            conn.execute("INSERT INTO store_layout (layout) VALUES (%s)", [chosen])
            log.info("new PostgreSQL store: %s layout", chosen)
        elif layout is not None and row[0] != layout:
            raise StoreError(f"this store was created with the {row[0]} layout, not {layout}")
        in_force = str(row[0]) if row else chosen
        done = {v for (v,) in conn.execute("SELECT version FROM schema_version")}
        for version, name, text in migration_files():
            if version in done:
                continue
            for statement in migration_sql(text, in_force, policy):
                conn.execute(statement)  # our own SQL text, not user input
            conn.execute("INSERT INTO schema_version (version, name) VALUES (%s, %s)", [version, name])
            log.info("applied migration %s", name)
    return in_force
