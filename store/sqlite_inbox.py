"""SQLite adapter, the durable inboxes of the runtimes (store/base.py ``inbox_add``).

A mixin of ``SqliteStore`` (store/sqlite.py), which owns the connection and its transactions.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from store.base import InboxEntry
from store.sqlite_reads import SqliteReads


class SqliteInbox(SqliteReads):
    if TYPE_CHECKING:

        def _tx(self, what: str) -> AbstractContextManager[sqlite3.Connection]: ...

    def inbox_add(self, box: str, mark: float, body: bytes) -> None:
        with self._tx(f"keeping an entry in inbox {box}") as db:
            db.execute("INSERT INTO inbox (box, mark, body) VALUES (?, ?, ?)", (box, mark, body))

    def inbox_done(self, box: str, upto: float) -> int:
        with self._tx(f"dropping done entries of inbox {box}") as db:
            return max(db.execute("DELETE FROM inbox WHERE box = ? AND mark <= ?", (box, upto)).rowcount, 0)

    def inbox(self, box: str, *, after: int = 0, limit: int = 1000) -> list[InboxEntry]:
        query = "SELECT seq, mark, body FROM inbox WHERE box = ? AND seq > ? ORDER BY seq LIMIT ?"
        rows = self._all(query, (box, after, limit))
        return [InboxEntry(seq=seq, box=box, mark=mark, body=bytes(body)) for seq, mark, body in rows]
