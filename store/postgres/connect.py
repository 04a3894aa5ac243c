"""The connection seam of the PostgreSQL store: one pool, timeouts on every call, one error boundary.

Every call takes a pooled connection (waiting at most ``pool_timeout_s``);
new connections give up after ``connect_timeout_s``; every statement is
cancelled by the server after ``statement_timeout_s`` (and lock waits too), and
TCP keepalives plus ``tcp_user_timeout`` notice a server that vanished
mid-query. Connections are in autocommit mode: a write is one explicit
transaction, or joins the caller's ``unit_of_work`` on the same thread.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool

from cargotrail.errors import StoreError
from store.postgres.errors import boundary, mask

Conn = psycopg.Connection[tuple[Any, ...]]
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Connected:
    """Pool, thread-local unit of work and the ``_write`` / ``_read`` helpers the adapter is built on."""

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        min_size: int = 1,
        max_size: int = 8,
        connect_timeout_s: float = 5.0,
        statement_timeout_s: float = 60.0,
        pool_timeout_s: float = 5.0,
    ):
        if schema is not None and not _SCHEMA.match(schema):
            raise StoreError(f"schema {schema!r}: use lower-case letters, digits and underscores")
        self.where = mask(url)
        self.schema = schema
        ms = int(statement_timeout_s * 1000)
        given = str(conninfo_to_dict(url).get("options") or "")  # e.g. a search_path set in the URL
        options = f"{given} -c statement_timeout={ms} -c lock_timeout={ms} -c client_min_messages=warning"
        if schema:
            options += f" -c search_path={schema},public"
        kwargs: dict[str, Any] = {
            "autocommit": True,
            "connect_timeout": max(2, math.ceil(connect_timeout_s)),  # libpq: whole seconds, at least 2
            "options": options,
            "application_name": "cargotrail",
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            "tcp_user_timeout": ms,
        }
        self._local = threading.local()
        self._pool: ConnectionPool[Conn] = ConnectionPool(
            url,
            kwargs=kwargs,
            min_size=min_size,
            max_size=max_size,
            timeout=pool_timeout_s,
            open=False,
            check=ConnectionPool.check_connection,  # a connection broken by an outage is replaced, not used
            name="cargotrail-store",
        )
        try:
            with boundary("connecting", self.where):
                # One direct connection first: its error says why (refused, bad password, no database),
                # where the pool would only time out retrying.
                psycopg.connect(url, **kwargs).close()
                self._pool.open(wait=True, timeout=connect_timeout_s)
        except BaseException:
            self._pool.close(timeout=1.0)
            raise

    def _unit_conn(self) -> Conn | None:
        conn: Conn | None = getattr(self._local, "conn", None)
        return conn

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """Writes inside (on this thread) commit together, or not at all; nested units join the outer one."""
        if self._unit_conn() is not None:
            yield
            return
        with (
            boundary("writing a micro-batch", self.where),
            self._pool.connection() as conn,
            conn.transaction(),
        ):
            self._local.conn = conn
            try:
                yield
            finally:
                self._local.conn = None

    @contextmanager
    def _write(self, what: str) -> Iterator[Conn]:
        """A connection in a transaction: the enclosing unit of work's, or a new one committed on exit."""
        conn = self._unit_conn()
        if conn is not None:
            with boundary(what, self.where):
                yield conn
            return
        with boundary(what, self.where), self._pool.connection() as conn, conn.transaction():
            yield conn

    def _read(self, what: str, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        """All rows of ``query`` (inside the unit of work when one is open, so it sees its writes)."""
        conn = self._unit_conn()
        with boundary(what, self.where):
            if conn is not None:
                return conn.execute(query, params).fetchall()
            with self._pool.connection() as c:
                return c.execute(query, params).fetchall()

    def close(self) -> None:
        self._pool.close(timeout=5.0)
