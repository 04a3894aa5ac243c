"""PostgreSQL for the store tests: the server `make pg-up` starts, one fresh schema per test.

The server is not optional: when it cannot be reached the PostgreSQL tests
FAIL with how to start it (a skipped test would hide a gap).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest

from store.base import Repository
from store.postgres import PostgresStore
from store.postgres.errors import mask
from store.sqlite import SqliteStore

DEFAULT_PG_URL = "postgresql://cargotrail:cargotrail@127.0.0.1:55432/cargotrail"  # deploy/postgres.mk


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("CARGOTRAIL_TEST_PG_URL", DEFAULT_PG_URL)
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        pytest.fail(
            f"PostgreSQL at {mask(url)} is unreachable ({exc}). Start it with `make pg-up` "
            "(or point CARGOTRAIL_TEST_PG_URL at a PostgreSQL 15 + PostGIS database).",
            pytrace=False,
        )
    return url


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[str]:
    """A schema name no other test uses; dropped with everything in it afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(pg_url, connect_timeout=5, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@pytest.fixture
def pg_store(pg_url: str, pg_schema: str) -> Iterator[Callable[..., PostgresStore]]:
    """Open PostgresStores on the test's schema (each closed at the end)."""
    opened: list[PostgresStore] = []

    def open_(**kwargs: object) -> PostgresStore:
        s = PostgresStore(kwargs.pop("url", pg_url), schema=pg_schema, **kwargs)  # type: ignore[arg-type]
        opened.append(s)
        return s

    yield open_
    for s in opened:
        s.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def reopen(request, tmp_path) -> Iterator[Callable[[], Repository]]:
    """Opens the adapter under test on one fresh database: each call is another connection to it."""
    opened: list[Repository] = []
    if request.param == "sqlite":
        make: Callable[[], Repository] = lambda: SqliteStore(tmp_path / "store.sqlite")  # noqa: E731
    else:
        make = request.getfixturevalue("pg_store")

    def open_() -> Repository:
        opened.append(make())
        return opened[-1]

    yield open_
    for s in opened:
        s.close()


@pytest.fixture
def store(reopen) -> Repository:
    return reopen()
