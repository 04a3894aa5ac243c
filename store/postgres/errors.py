"""psycopg errors -> cargotrail errors, at the boundary.

    psycopg.OperationalError (connection refused or lost, server shutting down,
    pool timeout, statement timeout) and serialization failures or deadlocks
        -> StoreUnavailable: nothing is wrong with the data; retry later
        (except a refused login or a missing database: StoreError).
    any other psycopg.Error (constraint, syntax, missing table, bad value)
        -> StoreError: retrying will not help.

Messages name what was being done and the ids involved (container, alert,
batch), the server's SQLSTATE, and the server address with the password masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import errors as pg

from cargotrail.errors import StoreError, StoreUnavailable

_RETRYABLE = (psycopg.OperationalError, pg.SerializationFailure, pg.DeadlockDetected)
# Refused for good even though raised as OperationalError: bad password or role, no such database.
_FATAL_CLASSES = {"28", "3D"}
_FATAL_TEXTS = ("authentication failed", "does not exist", "no pg_hba.conf entry")


def _refused_for_good(exc: psycopg.Error) -> bool:
    # A failed login carries no SQLSTATE in psycopg (no result yet): recognise the server's FATAL text.
    text = str(exc)
    return (exc.sqlstate or "")[:2] in _FATAL_CLASSES or any(m in text for m in _FATAL_TEXTS)


def mask(url: str) -> str:
    """``url`` without its query and with its password replaced by ``***`` (for messages and logs)."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url.split("?", 1)[0])


def translate(exc: psycopg.Error, what: str, where: str) -> StoreError:
    """The cargotrail error for ``exc`` raised while doing ``what`` on the server ``where``."""
    state = f" [SQLSTATE {exc.sqlstate}]" if exc.sqlstate else ""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, _RETRYABLE) and not _refused_for_good(exc):
        return StoreUnavailable(
            f"PostgreSQL store {where}: {what}: unavailable, retry later: {detail}{state}"
        )
    return StoreError(f"PostgreSQL store {where}: {what} failed: {detail}{state}")


@contextmanager
def boundary(what: str, where: str) -> Iterator[None]:
    """Translate any psycopg error raised inside into ``StoreError`` / ``StoreUnavailable``."""
    try:
        yield
    except psycopg.Error as exc:
        raise translate(exc, what, where) from exc
