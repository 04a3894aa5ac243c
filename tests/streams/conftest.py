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
def pg_schema() -> Iterator[Callable[[], Repository]]:
    """Opens PostgresStores on a fresh schema of the test server (CARGOTRAIL_TEST_PG_URL), dropped after."""
    url = os.environ.get(
        "CARGOTRAIL_TEST_PG_URL", "postgresql://cargotrail:cargotrail@127.0.0.1:55432/cargotrail"
    )
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        pytest.fail(
            f"PostgreSQL at CARGOTRAIL_TEST_PG_URL is unreachable ({exc}): start it with `make pg-up`"
        )
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield lambda: PostgresStore(url, schema=name)
    with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
