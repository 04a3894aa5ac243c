"""The durable inboxes of the runtimes in the PostgreSQL store (store/base.py ``inbox_add``).

A mixin of ``PostgresStore``; the table lives in the store's schema like every other.
"""

from __future__ import annotations

from store.base import InboxEntry
from store.postgres.connect import Connected


class Inbox(Connected):
    def inbox_add(self, box: str, mark: float, body: bytes) -> None:
        with self._write(f"keeping an entry in inbox {box}") as conn:
            conn.execute("INSERT INTO inbox (box, mark, body) VALUES (%s, %s, %s)", (box, mark, body))

    def inbox_done(self, box: str, upto: float) -> int:
        with self._write(f"dropping done entries of inbox {box}") as conn:
            cur = conn.execute("DELETE FROM inbox WHERE box = %s AND mark <= %s", (box, upto))
            return max(cur.rowcount, 0)

    def inbox(self, box: str, *, after: int = 0, limit: int = 1000) -> list[InboxEntry]:
        query = "SELECT seq, mark, body FROM inbox WHERE box = %s AND seq > %s ORDER BY seq LIMIT %s"
        rows = self._read(f"reading inbox {box}", query, (box, after, limit))
        return [InboxEntry(seq=seq, box=box, mark=mark, body=bytes(body)) for seq, mark, body in rows]
