"""PostgreSQL for the runtime tests: the server `make pg-up` starts, one fresh schema per test.

Fails, never skips, when the server cannot be reached.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest

from store.base import Repository
from store.postgres import PostgresStore


@pytest.fixture
def pg_url() -> str:
    """The test server's URL (CARGOTRAIL_TEST_PG_URL), once it answers."""
    url = os.environ.get(
        "CARGOTRAIL_TEST_PG_URL", "postgresql://cargotrail:cargotrail@127.0.0.1:55432/cargotrail"
    )
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        pytest.fail(
            f"PostgreSQL at CARGOTRAIL_TEST_PG_URL is unreachable ({exc}): start it with `make pg-up`"
        )
    return url


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[Callable[[], Repository]]:
    """Opens PostgresStores on a fresh schema of the test server, dropped after."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield lambda: PostgresStore(pg_url, schema=name)
    with psycopg.connect(pg_url, connect_timeout=5, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
