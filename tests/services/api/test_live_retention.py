"""Retention of the live feed over a real server: the API prunes the change log to its window, a cursor
older than the window is answered 410 (resync), a stream overtaken by retention gets ``resync``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cargotrail.settings import Settings
from services.api import Role, TokenStore, create_app
from services.api.live import LiveConfig
from store.sqlite import SqliteStore
from tests.services.api.live_server import Server, events
from tests.services.api.test_live import Live, take
from tests.store.test_contract import alert

Start = Callable[[LiveConfig, int], Live]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Start]:
    writer = SqliteStore(Settings(data_dir=tmp_path).sqlite_path)  # the pipeline's connection
    tokens = TokenStore.for_data_dir(tmp_path)
    issued = {role: tokens.create(role, f"{role.value}-lee")[1] for role in Role}
    servers: list[Server] = []

    def start(config: LiveConfig, keep: int) -> Live:
        app = create_app(Settings(data_dir=tmp_path, live_retain_changes=keep), live=config)
        servers.append(Server(app))
        return Live(servers[-1].__enter__(), issued, writer)

    yield start
    for s in servers:
        s.__exit__(None, None, None)
    writer.close()


def pruned(writer: SqliteStore, within_s: float = 15.0) -> None:
    """Wait until the API's retention has pruned the change log (failing after ``within_s``)."""
    deadline = time.monotonic() + within_s
    while writer.get_meta("live_changes.pruned_through") is None:
        assert time.monotonic() < deadline, "the API never pruned the change log"
        time.sleep(0.05)


def test_the_api_prunes_and_answers_an_expired_cursor_with_410(serve):
    live = serve(LiveConfig(poll_s=0.05, heartbeat_s=0.3, prune_s=0.1), 2)
    start = live.writer.change_head()
    live.writer.write_alerts([alert(n, minutes=n) for n in range(5)])
    pruned(live.writer)
    for params, last_id in (({}, start), ({"since": start, "follow": "false"}, None)):
        with live.stream(last_id=last_id, **params) as r:
            assert r.status_code == 410  # before any event: a stream would look like a clean resume
            r.read()
        detail = r.json()["detail"]
        assert detail.startswith(f"{'since' if last_id is None else 'Last-Event-ID'} '{start}': ")
        assert f"pruned through {live.writer.get_meta('live_changes.pruned_through').decode()}" in detail
        assert "resync from the read endpoints" in detail
    with live.stream(follow="false", since=live.writer.change_head()) as r:  # a fresh cursor is fine
        assert r.status_code == 200 and [e.event for e in events(r)] == ["ready"]


def test_the_kept_window_still_resumes_without_loss(serve):
    live = serve(LiveConfig(poll_s=0.05, heartbeat_s=0.3, prune_s=0.1), 3)
    live.writer.write_alerts([alert(n, minutes=n) for n in range(5)])
    pruned(live.writer)
    with live.stream(follow="false", since="0.0") as r:
        assert r.status_code == 410
        r.read()
    horizon = live.writer.get_meta("live_changes.pruned_through")
    assert horizon is not None
    with live.stream(follow="false", since=horizon.decode(), kinds="alert") as r:
        got = [e.json()["alert"]["alert_id"] for e in events(r) if e.event == "alert"]
    assert got == ["a2", "a3", "a4"]


def test_a_stream_overtaken_by_retention_is_told_to_resync(serve):
    # The hub polls once when the client joins, then not for 3 s: meanwhile the log is pruned past it.
    live = serve(LiveConfig(poll_s=3.0, heartbeat_s=0.3, prune_s=3600.0), 1)
    with live.stream() as r:
        stream = events(r)
        take(stream, 1)
        live.writer.write_alerts([alert(n, minutes=n) for n in range(3)])
        live.writer.prune_changes(keep=1)
        (resync,) = take(stream, 1)
        with pytest.raises(StopIteration):  # then the server closes the stream
            take(stream, 1)
    assert resync.event == "resync" and "resync from the read endpoints" in resync.json()["reason"]
    with live.stream(follow="false", since=resync.json()["pruned_through"]) as r:
        assert r.status_code == 200
    with live.stream() as r:  # a new client after the expiry is served from the head again
        stream = events(r)
        take(stream, 1)
        live.writer.write_alerts([alert(9, minutes=9)])
        (after,) = take(stream, 1)
    assert after.json()["alert"]["alert_id"] == "a9"
