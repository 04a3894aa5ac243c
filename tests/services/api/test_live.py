"""The live feed over a real uvicorn server and a streaming httpx client: push, filters, heartbeats,
resume with Last-Event-ID, a slow client cut off and catching up, and role refusal."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import msgspec
import psycopg
import pytest

from cargotrail.contract import make_container_id, reading_id
from cargotrail.settings import Settings
from services.api import Role, TokenStore, create_app
from services.api.live import LiveConfig
from store.base import TriageAction
from store.postgres import PostgresStore
from store.sqlite import SqliteStore
from tests.conftest import reading
from tests.services.api.live_server import TIMEOUT, Event, Server, events
from tests.store.test_contract import BOX, alert
from tests.store.test_contract_queries import ENTER, ev

OTHER = make_container_id("MSC", 42)
QUICK = LiveConfig(poll_s=0.05, heartbeat_s=0.3)


class Live:
    def __init__(self, url: str, tokens: dict[Role, str], writer: SqliteStore | PostgresStore) -> None:
        self.url, self.tokens, self.writer = url, tokens, writer

    def headers(self, role: Role = Role.OPERATOR, last_id: str | None = None) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.tokens[role]}"}
        return h if last_id is None else {**h, "Last-Event-ID": last_id}

    @contextmanager
    def stream(self, role: Role = Role.OPERATOR, last_id: str | None = None, **params: object):
        url, headers = f"{self.url}/v1/live", self.headers(role, last_id)
        with (
            httpx.Client(timeout=TIMEOUT) as client,
            client.stream("GET", url, headers=headers, params=params) as r,
        ):
            yield r

    def fix(self, box: str, seq: int, lat: float = 1.0) -> None:
        r = reading(box, seq=seq, minutes=seq, lat=lat)
        self.writer.write_readings([r], [reading_id(r.device_id, r.seq)])


def take(stream: Iterator[Event], n: int, within_s: float = 15.0) -> list[Event]:
    """The next ``n`` events that are not heartbeats (failing after ``within_s``: never hangs)."""
    out: list[Event] = []
    deadline = time.monotonic() + within_s
    while len(out) < n:
        assert time.monotonic() < deadline, f"only {len(out)} of {n} events arrived: {out}"
        e = next(stream)
        if e.event != "comment":
            out.append(e)
    return out


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[LiveConfig], Live]]:
    settings = Settings(data_dir=tmp_path)
    writer = SqliteStore(settings.sqlite_path)  # the pipeline's connection; the API opens its own
    tokens = TokenStore.for_data_dir(tmp_path)
    issued = {role: tokens.create(role, f"{role.value}-kim")[1] for role in Role}
    servers: list[Server] = []

    def start(config: LiveConfig = QUICK) -> Live:
        app = create_app(settings, live=config)
        servers.append(Server(app))
        return Live(servers[-1].__enter__(), issued, writer)

    yield start
    for s in servers:
        s.__exit__(None, None, None)
    writer.close()


def test_positions_events_and_alerts_are_pushed_as_they_are_stored(serve):
    live = serve(QUICK)
    with live.stream() as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        stream = events(r)
        (ready,) = take(stream, 1)
        assert ready.event == "ready" and ready.id == ready.json()["cursor"]
        live.fix(BOX, 1)
        live.writer.write_events([ev(1, ENTER, BOX, "T1", 1)])
        live.writer.write_alerts([alert(1)])
        got = take(stream, 3)
        live.writer.triage("a1", TriageAction.ACKNOWLEDGE, "Ana")  # the alert comes again, triaged
        got += take(stream, 1)
    assert [e.event for e in got] == ["position", "geofence", "alert", "alert"]
    assert got[0].json()["container_id"] == BOX and got[0].json()["lat"] == 1.0
    assert got[1].json()["event_id"] == "e1" and got[1].json()["zone_id"] == "T1"
    assert [e.json()["status"] for e in got[2:]] == ["open", "acknowledged"]
    assert len({e.id for e in got}) == 4


def test_filters_by_container_and_kind(serve):
    live = serve(QUICK)
    with live.stream(container=BOX, kinds="alert") as r:
        stream = events(r)
        take(stream, 1)
        live.fix(BOX, 1)  # a position: not asked for
        live.writer.write_alerts([msgspec.structs.replace(alert(7), container_id=OTHER)])  # another box
        live.writer.write_alerts([alert(2)])
        (got,) = take(stream, 1)
    assert got.event == "alert" and got.json()["alert"]["alert_id"] == "a2"


def test_quiet_streams_carry_heartbeats(serve):
    live = serve(LiveConfig(poll_s=0.05, heartbeat_s=0.2))
    with live.stream() as r:
        stream = events(r)
        take(stream, 1)
        beat = next(stream)
    assert beat.event == "comment" and beat.comments == ["heartbeat"]


def test_a_client_reconnecting_with_last_event_id_misses_nothing(serve):
    live = serve(QUICK)
    with live.stream() as r:
        stream = events(r)
        take(stream, 1)
        live.writer.write_alerts([alert(1)])
        (first,) = take(stream, 1)
    live.writer.write_alerts([alert(2)])  # while the client is away
    live.fix(BOX, 1)
    with live.stream(last_id=first.id) as r:
        stream = events(r)
        ready, missed_alert, missed_fix = take(stream, 3)
        live.writer.write_alerts([alert(3)])
        (after,) = take(stream, 1)
    assert ready.json()["cursor"] == first.id
    assert missed_alert.json()["alert"]["alert_id"] == "a2" and missed_fix.event == "position"
    assert after.json()["alert"]["alert_id"] == "a3"


def test_a_client_too_slow_is_cut_off_and_catches_up_from_the_store(serve):
    live = serve(LiveConfig(poll_s=0.05, heartbeat_s=0.3, queue_size=3, page=50))
    with live.stream(kinds="alert") as r:
        stream = events(r)
        take(stream, 1)
        live.writer.write_alerts([alert(n, minutes=n) for n in range(20)])  # one poll: more than 3 queued
        got = take(stream, 4)
        with pytest.raises(StopIteration):  # then the server closes the stream
            take(stream, 1)
    assert [e.event for e in got] == ["alert"] * 3 + ["overflow"]
    with live.stream(last_id=got[2].id, kinds="alert") as r:
        rest = take(events(r), 18)[1:]
    ids = [e.json()["alert"]["alert_id"] for e in got[:3] + rest]
    assert sorted(ids) == sorted(f"a{n}" for n in range(20))


def test_follow_false_catches_up_and_closes(serve):
    live = serve(QUICK)
    with live.stream(follow="false") as r:
        (ready,) = list(events(r))
    live.writer.write_alerts([alert(1), alert(2)])
    with live.stream(follow="false", since=ready.id) as r:
        got = list(events(r))
    assert [e.event for e in got] == ["ready", "alert", "alert"]


def test_an_integrator_is_refused(serve):
    live = serve(QUICK)
    with live.stream(role=Role.INTEGRATOR) as r:
        assert r.status_code == 403  # before reading: a 200 would stream forever
        r.read()
    assert "role integrator may not read tracking data" in r.json()["detail"]


def test_a_malformed_last_event_id_is_refused_naming_the_header(serve):
    live = serve(QUICK)
    with live.stream(last_id="yesterday") as r:
        assert r.status_code == 422
        r.read()
    (problem,) = r.json()["detail"]
    assert problem["loc"] == ["header", "last-event-id"]


def test_past_its_client_limit_the_feed_answers_503(serve):
    live = serve(LiveConfig(poll_s=0.05, heartbeat_s=0.3, max_subscribers=1))
    with live.stream() as first:
        stream = events(first)  # kept: dropping the iterator would close the first stream
        take(stream, 1)
        with live.stream() as second:
            assert second.status_code == 503  # before reading: a 200 would stream forever
            second.read()
    assert "1 clients already" in second.json()["detail"]


def test_no_token_is_401(serve):
    live = serve(QUICK)
    with httpx.Client(timeout=TIMEOUT) as client:
        r = client.get(f"{live.url}/v1/live")
    assert r.status_code == 401 and "missing token" in r.json()["detail"]


@pytest.mark.integration
def test_the_feed_over_postgresql_resumes_without_loss(tmp_path):
    url = os.environ.get(
        "CARGOTRAIL_TEST_PG_URL", "postgresql://cargotrail:cargotrail@127.0.0.1:55432/cargotrail"
    )
    schema = f"t_{uuid.uuid4().hex[:12]}"
    writer = PostgresStore(url, schema=schema)
    served = PostgresStore(url, schema=schema)
    tokens = TokenStore.for_data_dir(tmp_path)
    issued = {Role.OPERATOR: tokens.create(Role.OPERATOR, "ana")[1]}
    try:
        with Server(create_app(Settings(data_dir=tmp_path), store=served, live=QUICK)) as base:
            live = Live(base, issued, writer)
            with live.stream() as r:
                stream = events(r)
                take(stream, 1)
                live.writer.write_alerts([alert(1)])
                live.fix(BOX, 1)
                first, second = take(stream, 2)
            live.writer.write_events([ev(1, ENTER, BOX, "T1", 1)])
            with live.stream(last_id=second.id) as r:
                _, missed = take(events(r), 2)
        assert (first.event, second.event, missed.event) == ("alert", "position", "geofence")
        assert missed.json()["event_id"] == "e1"
    finally:
        writer.close()
        served.close()
        with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
