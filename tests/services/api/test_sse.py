"""SSE framing and the live hub's per-client bound, without a server."""

from __future__ import annotations

import pytest

from services.api.live import Filter, Subscriber
from services.api.sse import comment, frame
from store.base import Change


def test_a_frame_has_its_fields_and_splits_multiline_data():
    assert frame(id="0.7", event="alert", data='{"a":1}') == b'id: 0.7\nevent: alert\ndata: {"a":1}\n\n'
    assert frame(data="one\r\ntwo") == b"data: one\ndata: two\n\n"
    assert frame(retry_ms=2000, id="0.0") == b"retry: 2000\nid: 0.0\n\n"
    assert comment("heartbeat") == b": heartbeat\n\n"


def test_an_id_or_event_that_would_break_the_stream_is_refused():
    with pytest.raises(ValueError, match="one line"):
        frame(id="1\nevent: forged")


def change(n: int, box: str = "MSCU0000011", kind: str = "alert") -> Change:
    return Change(cursor=f"0.{n}", kind=kind, container_id=box)  # type: ignore[arg-type]


def test_a_subscriber_takes_only_what_its_filter_asks_for():
    sub = Subscriber(Filter(kinds=frozenset({"alert"}), containers=frozenset({"A"})), size=5, head="0.0")
    for c in (change(1, "A"), change(2, "B"), change(3, "A", "position")):
        assert sub.offer(c)
    assert sub.queue.qsize() == 1 and sub.queue.get_nowait() == change(1, "A")


def test_a_subscriber_past_its_bound_is_ended_after_what_it_has():
    sub = Subscriber(Filter(), size=2, head="0.0")
    assert sub.offer(change(1)) and sub.offer(change(2))
    assert not sub.offer(change(3))
    assert sub.overflowed and not sub.offer(change(4))
    assert [sub.queue.get_nowait() for _ in range(3)] == [change(1), change(2), None]
