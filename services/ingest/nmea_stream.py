"""NMEA 0183 from a live TCP or UDP stream (a GPS unit, a serial-to-IP bridge), bound to one device.

A listener serves one device id (``cargotrail devices bind`` ties it to its container): every line
from it goes through ``parse_nmea`` and the ingest gateway, exactly like a file, in chunks of at most
``chunk_lines`` lines or ``chunk_s`` seconds. Each TCP connection and each UDP sender has its own
line count and last RMC date (``StreamState``), so dead letters name ``<device>#line<n>`` of it.

Limits, because a stream is untrusted input: a line longer than ``max_line`` bytes is dead-lettered
(field ``line``, its first ``max_line`` bytes kept) and dropped up to its end (``LineSplitter``); a
TCP connection idle for ``idle_timeout_s`` is closed; at most ``max_connections`` TCP peers at once
(more are refused) and ``max_peers`` UDP senders are tracked (the least recent is flushed and
forgotten beyond that).

The listener runs its own asyncio loop in a thread (``start``/``stop``), beside uvicorn's; the
gateway (blocking: a store, a producer) is called in the loop's default executor, one chunk of a
feed at a time and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.ingest.gateway import IngestGateway
from services.ingest.lines import LineSplitter, Overlong
from services.ingest.nmea import StreamState, parse_chunk

log = logging.getLogger(__name__)

READ_BYTES = 65536


@dataclass(frozen=True)
class StreamConfig:
    device_id: str
    host: str = "127.0.0.1"
    tcp_port: int | None = None  # 0: any free port (see ``NmeaListener.ports``)
    udp_port: int | None = None
    max_line: int = 256  # NMEA 0183 allows 82 characters; proprietary sentences run longer
    idle_timeout_s: float = 120.0
    chunk_lines: int = 200
    chunk_s: float = 1.0
    max_connections: int = 64
    max_peers: int = 256
    start_timeout_s: float = 10.0


@dataclass(eq=False)  # identity: feeds live in a set
class _Feed:
    """One TCP connection's or UDP sender's lines not yet handed to the gateway."""

    splitter: LineSplitter
    state: StreamState = field(default_factory=StreamState)
    pending: list[bytes | Overlong] = field(default_factory=list)
    since: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def add(self, items: list[bytes | Overlong]) -> None:
        if items and not self.pending:
            self.since = time.monotonic()
        self.pending.extend(items)


class NmeaListener:
    def __init__(self, gateway: IngestGateway, config: StreamConfig) -> None:
        self.gateway = gateway
        self.config = config
        self.ports: dict[str, int] = {}  # "tcp"/"udp" -> bound port
        self.lines = 0  # lines handed to the gateway (accepted, rejected or skipped)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._feeds: set[_Feed] = set()
        self._peers: OrderedDict[tuple[str, int], _Feed] = OrderedDict()
        self._connections = 0
        self._tasks: set[asyncio.Task[None]] = set()  # flushes started from the datagram callback

    # --- lifecycle (from any thread) ----------------------------------------------------------------

    def start(self) -> None:
        """Bind the sockets and serve in a background thread; raise ``OSError`` if a port is taken."""
        self._thread = threading.Thread(target=self._run, name="nmea-listener", daemon=True)
        self._thread.start()
        if not self._ready.wait(self.config.start_timeout_s):
            raise TimeoutError(f"the NMEA listener did not start within {self.config.start_timeout_s} s")
        if self._error is not None:
            raise self._error

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop listening, hand every line received to the gateway, and join the thread."""
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None:
            with contextlib.suppress(RuntimeError):  # the loop has ended already
                loop.call_soon_threadsafe(stopped.set)
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except Exception as exc:  # reported by start() when it happens while binding
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        c = self.config
        loop = self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        tcp: asyncio.Server | None = None
        udp: asyncio.DatagramTransport | None = None
        if c.tcp_port is not None:
            tcp = await asyncio.start_server(self._connection, c.host, c.tcp_port)
            self.ports["tcp"] = tcp.sockets[0].getsockname()[1]
        if c.udp_port is not None:
            udp, _ = await loop.create_datagram_endpoint(
                lambda: _Datagrams(self), local_addr=(c.host, c.udp_port)
            )
            self.ports["udp"] = udp.get_extra_info("sockname")[1]
        ticker = asyncio.create_task(self._tick())
        self._ready.set()
        try:
            await self._stopped.wait()
        finally:
            ticker.cancel()
            if tcp is not None:
                tcp.close()
                await tcp.wait_closed()
            if udp is not None:
                udp.close()
            await asyncio.gather(*self._tasks)
            for feed in list(self._feeds):
                feed.add(feed.splitter.end())
                await self._flush(feed)

    # --- TCP ----------------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        c = self.config
        peer = writer.get_extra_info("peername")
        if self._connections >= c.max_connections:
            log.warning("NMEA stream: refusing %s, %d connections already", peer, self._connections)
            writer.close()
            return
        self._connections += 1
        feed = _Feed(LineSplitter(c.max_line))
        self._feeds.add(feed)
        try:
            while True:
                try:
                    data = await asyncio.wait_for(reader.read(READ_BYTES), c.idle_timeout_s)
                except TimeoutError:
                    log.info("NMEA stream: %s idle for %.0f s, closing", peer, c.idle_timeout_s)
                    break
                if not data:
                    break
                feed.add(feed.splitter.feed(data))
                if len(feed.pending) >= c.chunk_lines:
                    await self._flush(feed)
        except ConnectionError as exc:
            log.info("NMEA stream: %s: %s", peer, exc)
        finally:
            self._connections -= 1
            self._feeds.discard(feed)
            feed.add(feed.splitter.end())
            await self._flush(feed)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    # --- UDP: a datagram holds whole lines ----------------------------------------------------------

    def datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        feed = self._peers.pop(addr, None)
        if feed is None:
            feed = _Feed(LineSplitter(self.config.max_line))
            self._feeds.add(feed)
        self._peers[addr] = feed  # most recent last
        if len(self._peers) > self.config.max_peers:
            _, oldest = self._peers.popitem(last=False)
            self._feeds.discard(oldest)
            self._spawn(self._flush(oldest))
        feed.add(feed.splitter.feed(data if data.endswith(b"\n") else data + b"\n"))
        if len(feed.pending) >= self.config.chunk_lines:
            self._spawn(self._flush(feed))

    def _spawn(self, flush: Coroutine[None, None, None]) -> None:
        task = asyncio.ensure_future(flush)
        self._tasks.add(task)  # a task nobody references may be collected before it runs
        task.add_done_callback(self._tasks.discard)

    # --- to the gateway -----------------------------------------------------------------------------

    async def _tick(self) -> None:
        """Flush what waited ``chunk_s``: a slow stream must not sit in memory."""
        c = self.config
        while True:
            await asyncio.sleep(c.chunk_s / 2)
            due = time.monotonic() - c.chunk_s
            for feed in list(self._feeds):
                if feed.pending and feed.since <= due:
                    await self._flush(feed)

    async def _flush(self, feed: _Feed) -> None:
        async with feed.lock:  # one chunk of a feed at a time: line numbers stay in order
            items, feed.pending = feed.pending, []
            if items:
                await asyncio.get_running_loop().run_in_executor(None, self._submit, items, feed.state)

    def _submit(self, items: list[bytes | Overlong], state: StreamState) -> None:
        now = datetime.fromtimestamp(self.gateway.clock(), UTC)
        result = parse_chunk(
            items,
            device_id=self.config.device_id,
            registry=self.gateway.registry(),
            reference=now,
            stream=state,
            max_line=self.config.max_line,
        )
        self.gateway.submit_parsed(result)
        self.lines += len(items)


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, listener: NmeaListener) -> None:
        self.listener = listener

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.listener.datagram(data, addr)
