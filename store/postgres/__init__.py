"""PostgreSQL / TimescaleDB adapter of the repository (psycopg 3, binary COPY, PostGIS).

store.postgres.errors   psycopg errors -> StoreError / StoreUnavailable
store.postgres.connect  pool, timeouts, unit of work
store.postgres.layout   generated SQL: TimescaleDB hypertables or monthly partitions
store.postgres.migrate  forward-only migrations under an advisory lock
store.postgres.copy     binary COPY into a staging table, then INSERT ... ON CONFLICT
store.postgres.writes   the sink's writes and triage
store.postgres.reads    the queries of the control room and the auditors
store.postgres.store    PostgresStore, all of it together
"""

from __future__ import annotations

from store.postgres.store import PostgresStore, is_postgres_url

__all__ = ["PostgresStore", "is_postgres_url"]
