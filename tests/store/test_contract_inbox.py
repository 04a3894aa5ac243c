"""The runtimes' durable inboxes, on both adapters: kept across connections, per box, dropped by mark."""

from __future__ import annotations

import pytest


def test_entries_survive_a_reopen_in_the_order_added(reopen):
    store = reopen()
    assert store.inbox("embedded") == []
    store.inbox_add("embedded", 200.0, b"\x00second\xff")
    store.inbox_add("embedded", 100.0, b"first-added-later")
    store.inbox_add("embedded", 300.0, b"")
    pending = reopen().inbox("embedded")  # another connection: committed, not held in the adapter
    assert [(e.box, e.mark, e.body) for e in pending] == [
        ("embedded", 200.0, b"\x00second\xff"),
        ("embedded", 100.0, b"first-added-later"),
        ("embedded", 300.0, b""),
    ]
    assert pending[0].seq < pending[1].seq < pending[2].seq


def test_done_drops_only_the_entries_of_its_box_up_to_the_mark(store):
    for mark in (100.0, 250.0, 200.0, 400.0):
        store.inbox_add("embedded", mark, str(mark).encode())
    store.inbox_add("anchoring:s", 100.0, b"other box")
    assert store.inbox_done("embedded", 99.0) == 0
    assert store.inbox_done("embedded", 200.0) == 2  # mark <= 200: 100 and 200, not the 250 added before
    assert [e.mark for e in store.inbox("embedded")] == [250.0, 400.0]
    assert store.inbox_done("embedded", float("inf")) == 2
    assert store.inbox("embedded") == []
    assert [e.body for e in store.inbox("anchoring:s")] == [b"other box"]


def test_an_entry_added_in_a_failed_unit_of_work_is_not_kept(store):
    store.inbox_add("embedded", 1.0, b"kept")
    with pytest.raises(RuntimeError), store.unit_of_work():
        store.inbox_add("embedded", 2.0, b"rolled back")
        store.inbox_done("embedded", 1.0)
        raise RuntimeError("the micro-batch failed")
    assert [e.body for e in store.inbox("embedded")] == [b"kept"]


def test_entries_are_read_in_pages_by_seq(store):
    for i in range(5):
        store.inbox_add("embedded", 0.0, bytes([i]))
    first = store.inbox("embedded", limit=2)
    rest = store.inbox("embedded", after=first[-1].seq, limit=10)
    assert [e.body for e in first + rest] == [bytes([i]) for i in range(5)]
    assert store.inbox("embedded", after=rest[-1].seq) == []
