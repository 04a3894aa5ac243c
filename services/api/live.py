"""The live feed's hub: one poller of the store's change log, fanned out to bounded per-client queues.

The store is the source of truth (``Repository.changes_after``): the hub polls it every ``poll_s``
from its cursor and hands each change to every subscriber whose filter takes it. A subscriber's queue
holds at most ``queue_size`` changes: a client that cannot keep up is not buffered without bound, it
is cut off (``overflowed``) after what it already has, and reconnects with its Last-Event-ID to
catch up from the store. The poller runs while someone listens; errors of the store are retried
(``StoreUnavailable`` is expected during outages) and never end the hub.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from cargotrail.errors import CargotrailError
from store.base import CHANGE_KINDS, Change, ChangeKind

log = logging.getLogger("cargotrail.api.live")

Fetch = Callable[[str, int], Awaitable[list[Change]]]
Head = Callable[[], Awaitable[str]]


@dataclass(frozen=True)
class LiveConfig:
    """How the feed runs: poll interval, heartbeat, per-client queue bound, page size, client retry."""

    poll_s: float = 0.5
    heartbeat_s: float = 15.0
    queue_size: int = 2000
    page: int = 500
    retry_ms: int = 2000
    max_subscribers: int = 100

    def __post_init__(self) -> None:
        for name in ("poll_s", "heartbeat_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"LiveConfig.{name} must be positive")
        for name in ("queue_size", "page", "retry_ms", "max_subscribers"):
            if getattr(self, name) < 1:
                raise ValueError(f"LiveConfig.{name} must be at least 1")


@dataclass(frozen=True)
class Filter:
    """Which changes a client wants: some kinds, optionally of some containers only."""

    kinds: frozenset[ChangeKind] = frozenset(CHANGE_KINDS)
    containers: frozenset[str] | None = None

    def takes(self, change: Change) -> bool:
        boxes = self.containers
        return change.kind in self.kinds and (boxes is None or change.container_id in boxes)


class Subscriber:
    """One client's bounded queue; ``None`` in it means the end (``overflowed`` says why)."""

    def __init__(self, filter_: Filter, size: int, head: str) -> None:
        self.filter = filter_
        self.size = size
        self.head = head  # the hub's cursor when this subscriber joined: later changes come queued
        self.queue: asyncio.Queue[Change | None] = asyncio.Queue(maxsize=size + 1)  # +1: the end marker
        self.overflowed = False
        self.ended = False

    def offer(self, change: Change) -> bool:
        """Queue ``change`` if the filter takes it; False once the client has fallen too far behind."""
        if self.ended or not self.filter.takes(change):
            return not self.ended
        if self.queue.qsize() >= self.size:
            self.overflowed = True
            self.end()
            return False
        self.queue.put_nowait(change)
        return True

    def end(self) -> None:
        if not self.ended:
            self.ended = True
            self.queue.put_nowait(None)


class HubFull(CargotrailError):
    """The hub has ``max_subscribers`` already."""


class LiveHub:
    def __init__(self, fetch: Fetch, head: Head, config: LiveConfig) -> None:
        self._fetch = fetch
        self._head = head
        self.config = config
        self.cursor: str | None = None
        self._subscribers: set[Subscriber] = set()
        self._task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()  # two first clients at once must not start two pollers
        self._loop: asyncio.AbstractEventLoop | None = None

    async def head(self) -> str:
        """The store's cursor of now."""
        return await self._head()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    async def subscribe(self, filter_: Filter) -> Subscriber:
        """A new subscriber; it receives every change the hub reads after its ``head``."""
        if len(self._subscribers) >= self.config.max_subscribers:
            raise HubFull(f"the live feed has {self.config.max_subscribers} clients already: try again later")
        async with self._starting:
            self._loop = asyncio.get_running_loop()
            if self._task is None or self._task.done():
                self.cursor = await self._head()
                self._task = asyncio.create_task(self._run(), name="cargotrail-live-hub")
            assert self.cursor is not None
            sub = Subscriber(filter_, self.config.queue_size, self.cursor)
            self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)

    async def _run(self) -> None:
        delay = self.config.poll_s
        try:
            while self._subscribers:
                try:
                    await self._poll_once()
                    delay = self.config.poll_s
                except CargotrailError as exc:
                    delay = min(delay * 2, 10.0)
                    log.warning("live feed: reading the store failed (retrying in %.1f s): %s", delay, exc)
                await asyncio.sleep(delay)
        except Exception:  # a defect: say so; the clients are ended below and reconnect to a new poller
            log.exception("live feed: the poller stopped")
        finally:
            for sub in list(self._subscribers):  # the hub is going: clients reconnect and catch up
                sub.end()
            self._subscribers.clear()

    async def _poll_once(self) -> None:
        assert self.cursor is not None
        while True:
            changes = await self._fetch(self.cursor, self.config.page)
            for change in changes:
                for sub in list(self._subscribers):
                    if not sub.offer(change):
                        self._subscribers.discard(sub)
            if changes:
                self.cursor = changes[-1].cursor
            if len(changes) < self.config.page:
                return

    def end_streams_soon(self) -> None:
        """End every subscription, from any thread or a signal handler (the server is shutting down).

        A server waits for open responses before it stops: live streams never end by themselves.
        """
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._end_all)

    def _end_all(self) -> None:
        for sub in list(self._subscribers):
            sub.end()
        self._subscribers.clear()

    async def stop(self) -> None:
        """End every subscription and the poller (the application is shutting down)."""
        self._end_all()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
