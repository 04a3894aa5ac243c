"""The embedded runtime's inbox: a crash at any point loses nothing and changes no output.

A crash is a runtime dropped without ``finish`` (its store closed under it); the restarted runtime
gets the rest of the input. Its store must then equal an uninterrupted run's: every reading stored
once, the same geofence events and alerts, and the same anchored batches (roots included: batches
close by count here), every stored record anchored exactly once.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cargotrail.contract.records import ZoneType
from cargotrail.settings import Settings
from geofence.zones import Zone, circle_zone
from services.simulator import SimBatch
from store.sqlite import SqliteStore
from streams.runtimes.inbox import INBOX, Snap, decode_step
from tests.streams.embedded_run import NOW, Run, small_world
from tests.streams.runtime_outputs import Outputs, anchored_once, unanchored


@pytest.fixture(scope="module")
def sim() -> tuple[list[SimBatch], list[Zone]]:
    return small_world(seed=3)


@pytest.fixture(scope="module")
def uninterrupted(sim, tmp_path_factory) -> Outputs:
    batches, zones = sim
    run = Run(tmp_path_factory.mktemp("uninterrupted"), zones)
    run.feed(batches)
    return run.finish()


@pytest.mark.parametrize("crash_after", [1, 2, 7, 16])  # 16: all input in, not finished
def test_a_crash_between_micro_batches_changes_no_output(sim, uninterrupted, tmp_path, crash_after):
    batches, zones = sim
    first = Run(tmp_path, zones)
    first.feed(batches[:crash_after])
    held = len(first.runtime.processors.reorder)
    first.crash()

    again = Run(tmp_path, zones)
    assert len(again.runtime.processors.reorder) == held  # the acknowledged readings it held are back
    again.feed(batches[crash_after:])
    got = again.finish()

    assert got == uninterrupted
    assert got.counts["readings"] == sum(len(b.readings) for b in batches)
    assert anchored_once(got)
    store = SqliteStore(Settings(data_dir=tmp_path).sqlite_path)
    try:
        assert unanchored(store, [r for b in batches for r in b.readings], got) == []
    finally:
        store.close()


def test_crashes_in_a_row_change_no_output(sim, uninterrupted, tmp_path):
    batches, zones = sim
    run = Run(tmp_path, zones)
    run.feed(batches[:3])
    run.crash()
    run = Run(tmp_path, zones)  # crashes again before any new input
    run.crash()
    run = Run(tmp_path, zones)
    run.feed(batches[3:9])
    run.crash()
    run = Run(tmp_path, zones)
    run.feed(batches[9:])
    assert run.finish() == uninterrupted


def test_the_inbox_holds_one_entry_per_step(sim, tmp_path):
    batches, zones = sim
    run = Run(tmp_path, zones)
    run.feed(batches[:4])
    entries = run.store.inbox(INBOX)
    run.crash()
    assert len(entries) == 1 + 4  # the zones of the first start, then one per micro-batch


def test_zones_edited_while_stopped_are_swapped_in_as_a_live_edit_would_be(sim, uninterrupted, tmp_path):
    batches, zones = sim
    edited = zones[1:]  # an admin deleted a zone
    live = Run(tmp_path / "live", zones, zone_check_s=0.0)  # checks the zone log before every batch
    live.feed(batches[:6])
    live.store.save_zones(edited, "Ada")
    live.feed(batches[6:])
    expected = live.finish()
    assert expected != uninterrupted  # the edit changed what was reported

    run = Run(tmp_path / "crashed", zones)
    run.feed(batches[:6])
    run.crash()
    run = Run(tmp_path / "crashed", sorted(edited, key=lambda z: z.zone_id))  # as the store lists them
    run.feed(batches[6:])
    assert run.finish() == expected


def test_zones_edited_before_any_reading_apply_from_the_start(sim, tmp_path):
    batches, zones = sim
    plans = [p for b in batches for p in b.plans]
    edited = zones[1:]
    expected_run = Run(tmp_path / "edited", edited)
    expected_run.runtime.ingest([], plans=plans)
    expected_run.feed([dataclasses.replace(b, plans=[]) for b in batches])
    expected = expected_run.finish()

    run = Run(tmp_path / "crashed", zones)
    run.runtime.ingest([], plans=plans)  # plans only: the watermark has not moved
    run.crash()
    run = Run(tmp_path / "crashed", edited)
    run.crash()  # twice: the second start replays the edit it logged
    run = Run(tmp_path / "crashed", edited)
    run.feed([dataclasses.replace(b, plans=[]) for b in batches])
    assert run.finish() == expected


@pytest.mark.parametrize("crash_after", [5, 9, 16])
def test_a_crash_after_a_compaction_changes_no_output(sim, uninterrupted, tmp_path, crash_after):
    batches, zones = sim
    first = Run(tmp_path, zones, compact_steps=3)
    first.feed(batches[:crash_after])
    assert first.runtime.counters.compactions >= 1
    held = len(first.runtime.processors.reorder)
    first.crash()

    again = Run(tmp_path, zones, compact_steps=3)
    assert len(again.runtime.processors.reorder) == held
    assert again.runtime.counters.replayed < sum(len(b.readings) for b in batches[:crash_after])
    again.feed(batches[crash_after:])
    got = again.finish()
    assert got == uninterrupted  # compacting changes no output either
    assert anchored_once(got)


def test_compaction_changes_nothing_across_a_live_zone_edit_and_crashes_in_a_row(sim, tmp_path):
    batches, zones = sim
    edited = zones[1:]

    def crashing(data_dir: Path, compact_steps: int) -> Outputs:
        run = Run(data_dir, zones, zone_check_s=0.0, compact_steps=compact_steps)
        run.feed(batches[:6])
        run.store.save_zones(edited, "Ada")
        run.feed(batches[6:8])  # the swap, then (compacting) a snapshot under the edited zones
        run.crash()
        for cut, end in ((8, 11), (11, 13), (13, None)):  # each micro-batch fed once
            run = Run(data_dir, sorted(edited, key=lambda z: z.zone_id), compact_steps=compact_steps)
            if compact_steps < len(batches):
                assert isinstance(decode_step(run.store.inbox(INBOX)[0]), Snap)
            run.feed(batches[cut:end])
            if end is not None:
                run.crash()
        return run.finish()

    compacted = crashing(tmp_path / "compacted", 2)
    assert compacted == crashing(tmp_path / "whole", 10**9)
    assert compacted == live_edit(tmp_path / "live", batches, zones, edited)  # as if it never crashed
    assert anchored_once(compacted)


SWAP_AT = 6  # micro-batches fed before the zones are edited


def restricted_edit(batches: list[SimBatch], zones: list[Zone]) -> list[Zone]:
    """An admin deletes a zone and draws a restricted one around where containers are at the swap."""
    last = {r.container_id: r for b in batches[:SWAP_AT] for r in b.readings}
    spots = [
        circle_zone(f"QUARANTINE-{i}", "Quarantine", ZoneType.RESTRICTED, r.lon, r.lat, 5_000)
        for i, r in enumerate(sorted(last.values(), key=lambda r: r.container_id)[:8])
    ]
    return [*zones[1:], *spots]


def live_edit(data_dir: Path, batches: list[SimBatch], zones: list[Zone], edited: list[Zone]) -> Outputs:
    """The uninterrupted run: ``edited`` saved on the Zones page after ``SWAP_AT`` micro-batches."""
    run = Run(data_dir, zones, zone_check_s=0.0)
    run.feed(batches[:SWAP_AT])
    run.store.save_zones(edited, "Ada")
    run.feed(batches[SWAP_AT:])
    assert run.runtime.counters.zone_swaps == 1
    return run.finish()


@pytest.mark.parametrize("compact_steps", [10**9, 2])
@pytest.mark.parametrize("crash_after", [0, 1, 3])  # micro-batches fed after the swap (0: right after it)
def test_a_crash_right_after_a_live_zone_swap_changes_no_output(sim, tmp_path, compact_steps, crash_after):
    batches, zones = sim
    edited = restricted_edit(batches, zones)
    expected = live_edit(tmp_path / "live", batches, zones, edited)

    run = Run(tmp_path / "crashed", zones, zone_check_s=0.0, compact_steps=compact_steps)
    run.feed(batches[:SWAP_AT])
    run.store.save_zones(edited, "Ada")
    swap = run.runtime.watch_zones(NOW)  # what ingest does first; the swap is stored and anchored
    assert swap is not None and swap.events and swap.alerts  # the swap itself reports something
    cut = SWAP_AT + crash_after
    run.feed(batches[SWAP_AT:cut])
    run.crash()
    run = Run(
        tmp_path / "crashed",
        sorted(edited, key=lambda z: z.zone_id),
        zone_check_s=0.0,
        compact_steps=compact_steps,
    )
    assert run.runtime.counters.zone_swaps == 0  # the swap was replayed, not done again
    run.feed(batches[cut:])
    got = run.finish()

    assert (got.counts, got.events, got.alerts) == (expected.counts, expected.events, expected.alerts)
    assert got.anchors == expected.anchors  # the same batches, Merkle roots included
    assert anchored_once(expected) and anchored_once(got)
    store = SqliteStore(Settings(data_dir=tmp_path / "crashed").sqlite_path)
    try:
        assert unanchored(store, [r for b in batches for r in b.readings], got) == []
    finally:
        store.close()


def test_the_inbox_stays_bounded_over_a_long_run(sim, tmp_path):
    batches, zones = sim
    run = Run(tmp_path, zones, compact_steps=4)
    sizes = []
    for b in batches * 3:  # three passes: the later ones are all late readings, still steps
        run.feed([b])
        sizes.append(len(run.store.inbox(INBOX)))
    entries = run.store.inbox(INBOX)
    run.crash()
    assert max(sizes) <= 1 + 4  # one snapshot and the steps since
    assert isinstance(decode_step(entries[0]), Snap)
    assert sizes[-1] < len(batches)


@pytest.mark.integration
def test_a_crash_changes_no_output_on_postgresql(sim, uninterrupted, tmp_path, pg_schema):
    batches, zones = sim
    run = Run(tmp_path, zones, store=pg_schema)
    run.feed(batches[:7])
    run.crash()
    run = Run(tmp_path, zones, store=pg_schema)
    run.feed(batches[7:])
    got = run.finish()
    assert got == uninterrupted
    assert anchored_once(got)


@pytest.mark.integration
def test_a_crash_after_a_compaction_changes_no_output_on_postgresql(sim, uninterrupted, tmp_path, pg_schema):
    batches, zones = sim
    run = Run(tmp_path, zones, store=pg_schema, compact_steps=3)
    run.feed(batches[:7])
    run.crash()
    run = Run(tmp_path, zones, store=pg_schema, compact_steps=3)
    assert isinstance(decode_step(run.store.inbox(INBOX)[0]), Snap)
    run.feed(batches[7:])
    got = run.finish()
    assert got == uninterrupted
    assert anchored_once(got)
