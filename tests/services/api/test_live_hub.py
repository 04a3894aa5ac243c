"""The live hub when retention prunes past its own cursor: every subscriber is ended as expired (its
client is told to resync), and clients that join afterwards start from the store's head again."""

from __future__ import annotations

import asyncio

from services.api.live import Filter, LiveConfig, LiveHub
from store.base import Change, CursorExpired, format_cursor, parse_cursor


class PrunedLog:
    """A change log whose entries up to ``horizon`` are gone; nothing newer has arrived yet."""

    def __init__(self, head: int, horizon: int) -> None:
        self.head, self.horizon = head, horizon
        self.asked: list[str] = []

    async def fetch(self, cursor: str, limit: int) -> list[Change]:
        self.asked.append(cursor)
        if parse_cursor(cursor)[1] < self.horizon:
            raise CursorExpired(cursor, format_cursor(0, self.horizon))
        return []

    async def head_(self) -> str:
        return format_cursor(0, self.head)


def test_an_expired_hub_cursor_ends_every_subscriber_as_expired_then_restarts_at_the_head():
    async def scenario() -> None:
        log = PrunedLog(head=5, horizon=0)
        hub = LiveHub(log.fetch, log.head_, LiveConfig(poll_s=0.01, heartbeat_s=1.0))
        first, second = await hub.subscribe(Filter()), await hub.subscribe(Filter())
        log.horizon, log.head = 8, 12  # retention (another process) prunes past the hub's cursor "0.5"
        assert await asyncio.wait_for(first.queue.get(), 10) is None
        assert await asyncio.wait_for(second.queue.get(), 10) is None
        for sub in (first, second):
            assert sub.expired is not None and sub.expired.horizon == "0.8" and not sub.overflowed
        late = await hub.subscribe(Filter())  # joins after the expiry: served from the head, not expired
        assert late.head == "0.12" and late.expired is None
        await asyncio.sleep(0.05)
        assert late.expired is None and log.asked[-1] == "0.12"
        await hub.stop()

    asyncio.run(scenario())
