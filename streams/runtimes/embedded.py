"""The embedded runtime: validate -> process -> store -> anchor, in one process.

It is the reference for correctness (the Kafka runtime must produce the same
events, alerts and Merkle roots) and the fastest path on one machine. Input
arrives in micro-batches; nothing here knows where it came from.

Zones edited on the dashboard (saved to the store, each change logged) are swapped into the
running processors: every ``zone_check_s`` of wall time at most, the newest entry of the
store's zone log is compared with the last one seen (one indexed read); when it changed, the
store's zones replace the processors' (``Processors.replace_zones``) and what the swap reports
is stored and anchored like any micro-batch's output.

Nothing acknowledged is lost, and a restart changes no output (``inbox=True``): every step that
changes the processors' state (a micro-batch's valid readings and plans, a zone swap, the end of
input) is kept in the store's inbox (``streams.runtimes.inbox``), in the unit of work that stores
that step's outputs, so a micro-batch is durable when ``ingest`` returns (where transports
acknowledge) though the reorder buffer still holds its readings. At start the inbox is replayed
through the processors with its outputs discarded (they were stored then): the state is the one
the last run had, held readings included, and the next outputs are those of an uninterrupted run.
The inbox is compacted: every ``compact_steps`` steps or ``compact_readings`` readings, whichever
comes first, a snapshot of the processors (``Processors.snapshot``) is written in the unit of work of
the step it follows and the entries it stands for are dropped, so the inbox, and the replay at
start, stay bounded by the compaction interval rather than growing with history.

Every reading is processed, stored and anchored once, even when it arrives again (an MQTT message
redelivered, a client's retry): the processors drop copies (``streams.processors.copies``), asking
the store (``Repository.stored_reading_ids``, parked batches included during an outage) about the
late readings of a micro-batch, where copies of readings released before end up. The inbox keeps the
readings taken, copies left out, so a replay asks nothing and rebuilds the same state. Copies are
counted (``RunCounters.duplicates``). While the store cannot answer, a late reading it would have to
vouch for is taken as new (``RunCounters.unchecked``, with a warning): a copy may then get through.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from cargotrail.contract.ids import reading_id
from cargotrail.contract.records import Alert, Reading, Record, RfidRead, VoyagePlan
from cargotrail.contract.validate import split_readings, split_rfid
from cargotrail.errors import StoreError, StoreUnavailable
from geofence.zones import Zone
from store.base import ReadingFlag, Repository, ZoneChange
from store.buffered import BufferedStore
from streams.processors.pipeline import Processors, StageResult
from streams.runtimes.inbox import (
    INBOX,
    Batch,
    Snap,
    Zones,
    batch_entry,
    decode_step,
    flush_entry,
    snap_entry,
    zones_entry,
)

log = logging.getLogger("cargotrail.embedded")

REPLAY_PAGE = 500  # inbox entries read at a time at start
# Compaction: a snapshot weighs about as much as the inbox entries of 150 readings per container
# (~2 kB each, mostly its voyage plan) and takes ~50 ms per 10,000 containers; one every half
# million readings costs well under 1 % and bounds the inbox near 60 MB, the replay to seconds.
COMPACT_STEPS = 2000
COMPACT_READINGS = 500_000


class Anchoring(Protocol):
    """Where the ledger's anchoring batcher plugs in: records in, in order."""

    def add(self, records: Sequence[Record], now: float, ids: Sequence[str | None] | None = None) -> int: ...
    def flush(self, now: float) -> int: ...
    def resume(self, now: float) -> int:
        """Keep the open batch durable from now on; anchor what a crash left in it (how many records)."""
        ...


@dataclass
class RunCounters:
    readings_in: int = 0
    readings_valid: int = 0
    rejected: int = 0
    late: int = 0
    jumped: int = 0
    rfid: int = 0
    plans: int = 0
    events: Counter[str] = field(default_factory=Counter)
    alerts: Counter[str] = field(default_factory=Counter)
    anchored_batches: int = 0
    zone_swaps: int = 0
    compactions: int = 0  # inbox snapshots written (see the module docstring)
    replayed: int = 0  # readings replayed from the inbox at start (their outputs were stored before)
    duplicates: int = 0  # readings dropped as copies of readings taken before (redelivered, retried)
    unchecked: int = 0  # late readings taken without asking the store about copies: it was down
    process_s: float = 0.0


class EmbeddedRuntime:
    """Runs micro-batches through ``Processors`` and writes everything to ``store``.

    ``now`` is the clock used to refuse readings stamped in the future: the wall
    clock for real feeds, the simulator's clock for simulated ones. The store
    is used through a ``BufferedStore`` (unless it is one already): when it is
    unavailable, micro-batches are buffered and retried, the outage is logged
    and listed in ``store.outages``, and ``finish`` writes what is left. ``zone_check_s``: how
    often (wall time, ``wall`` clock) the store's zone log is checked for edits; None: never.
    ``inbox``: keep every input step in the store's inbox and replay it at start (module docstring);
    off where a crash may lose input (a simulation is run again instead).
    """

    def __init__(
        self,
        processors: Processors,
        store: Repository,
        *,
        max_future_s: float,
        now: Callable[[], float] = time.time,
        anchoring: Anchoring | None = None,
        zone_check_s: float | None = 5.0,
        wall: Callable[[], float] = time.monotonic,
        inbox: bool = False,
        compact_steps: int = COMPACT_STEPS,
        compact_readings: int = COMPACT_READINGS,
    ):
        self.processors = processors
        self.store = store if isinstance(store, BufferedStore) else BufferedStore(store)
        self.max_future_s = max_future_s
        self.now = now
        self.anchoring = anchoring
        self.counters = RunCounters()
        self.alerts: list[Alert] = []  # kept for the run report (scoring against ground truth)
        self.zone_check_s = zone_check_s
        self._wall = wall
        self._next_zone_check = wall() + (zone_check_s or 0.0)
        # The processors were built with the zones in force now: only later edits are swapped in.
        self._zone_head: ZoneChange | None = None
        if zone_check_s is not None:
            try:
                self._zone_head = self._newest_zone_change()
            except StoreError as exc:  # the first check swaps the store's zones in, if any
                log.warning("zone log unreadable at start, the store did not answer: %s", exc)
        self.inbox = inbox
        self.compact_steps, self.compact_readings = compact_steps, compact_readings
        self._generation = 0  # snapshots written so far: the mark of every inbox entry written now
        self._since = (0, 0)  # (steps, readings) in the inbox since the last snapshot
        if inbox:
            if anchoring is not None:  # first: what a crash left unanchored goes before anything new
                anchoring.resume(now())
            self._replay()

    def ingest(
        self,
        readings: Sequence[Reading],
        rfid: Sequence[RfidRead] = (),
        plans: Sequence[VoyagePlan] = (),
        *,
        source_time: float | None = None,
    ) -> StageResult:
        """Validate, process, store and anchor one micro-batch (``source_time``: ``Processors.process``)."""
        started = time.perf_counter()
        now = self.now()
        self.watch_zones(now)
        c = self.counters
        good_rfid, rejections = split_rfid(rfid, now_s=now, max_future_s=self.max_future_s)
        valid, bad = split_readings(
            readings, now=datetime.fromtimestamp(now, UTC), max_future_s=self.max_future_s
        )
        rejections.extend(bad)
        c.readings_in += len(readings)
        c.readings_valid += len(valid)
        c.rejected += len(rejections)
        c.rfid += len(good_rfid)
        c.plans += len(plans)
        self.processors.add_plans(plans)
        result = self.processors.process(valid, source_time, stored=self._stored)
        c.duplicates += len(result.duplicates)
        taken = self._taken(valid, result.duplicates)
        with self.store.unit_of_work():  # one commit per micro-batch
            if self.inbox and (taken or plans or source_time is not None):
                self._keep(batch_entry(taken, plans, source_time), len(taken))
            if plans:
                self.store.write_plans(plans, now)
            if rejections:
                self.store.write_dead_letters(rejections, now)
            if good_rfid:
                self.store.write_rfid(good_rfid)
            self._sink(result, good_rfid, now)
            self._compact()
        c.process_s += time.perf_counter() - started
        return result

    def _stored(self, ids: list[str]) -> set[str]:
        """Which of these late readings were stored before (``Processors.process``'s lookup)."""
        try:
            return self.store.stored_reading_ids(ids)
        except StoreUnavailable as exc:
            found = self.store.buffered_reading_ids(ids)
            self.counters.unchecked += len(ids) - len(found)
            log.warning(
                "store unavailable (%s): %d late readings taken without checking they are not copies",
                exc,
                len(ids) - len(found),
            )
            return found

    def _taken(self, valid: list[Reading], duplicates: list[int]) -> list[Reading]:
        """``valid`` without the copies the processors dropped (at positions ``duplicates``)."""
        if not duplicates:
            return valid
        dropped = set(duplicates)
        log.info(
            "%d readings dropped as copies of readings taken before (%s%s); duplicates dropped: %d",
            len(dropped),
            ", ".join(f"{valid[i].device_id}#{valid[i].seq}" for i in duplicates[:5]),
            ", ..." if len(dropped) > 5 else "",
            self.counters.duplicates,
        )
        return [r for i, r in enumerate(valid) if i not in dropped]

    def finish(self) -> StageResult:
        """End of input: flush the reorder buffer, fire due timers, close the last anchor batch."""
        now = self.now()
        result = self.processors.flush()
        with self.store.unit_of_work():
            if self.inbox:
                self._keep(flush_entry())
            self._sink(result, [], now)
            self._compact()
            if self.anchoring is not None:
                self.counters.anchored_batches += self.anchoring.flush(now)
        self.store.drain()  # after an outage: wait (with backoff) until every buffered micro-batch is written
        if self.counters.duplicates:
            log.info("duplicates dropped: %d (readings that arrived again)", self.counters.duplicates)
        return result

    def watch_zones(self, now: float) -> StageResult | None:
        """Swap the store's zones in if they changed since the last check; the swap's output, if any.

        Checks at most every ``zone_check_s`` of wall time (``ingest`` calls it). A store that cannot
        answer is asked again at the next check.
        """
        if self.zone_check_s is None or self._wall() < self._next_zone_check:
            return None
        self._next_zone_check = self._wall() + self.zone_check_s
        try:
            head = self._newest_zone_change()
            if head == self._zone_head:
                return None
            zones = self.store.zones()
        except StoreError as exc:
            log.warning("zone check skipped, the store did not answer: %s", exc)
            return None
        self._zone_head = head
        result = self.processors.replace_zones(zones)
        with self.store.unit_of_work():
            if self.inbox:
                self._keep(zones_entry(zones))
            self._sink(result, [], now)
            self._compact()
        self.counters.zone_swaps += 1
        who = f" ({head.action.value} {head.zone_id} by {head.operator})" if head else ""
        counts = (len(zones), len(result.events), len(result.alerts))
        log.info(
            "zones replaced live%s: %d zones in force, %d geofence events and %d alerts at the swap",
            who,
            *counts,
        )
        return result

    def _replay(self) -> None:
        """Rebuild the processors' state from the inbox, then put the caller's zones in force.

        The first entry is always the zones of the first start; when the zones in force at the end
        of the replay are not the caller's (edited while stopped), the caller's are swapped in and
        what the swap reports is stored, like a live swap.
        """
        wanted = list(self.processors.index.zones)
        wanted_entry = zones_entry(wanted)
        last_zones: bytes | None = None
        early: list[Batch] = []  # the steps before the watermark moved (see _put_zones)
        after, steps = 0, 0
        while page := self.store.inbox(INBOX, after=after, limit=REPLAY_PAGE):
            for entry in page:
                step = decode_step(entry)
                self._generation = max(self._generation, int(entry.mark))
                if isinstance(step, Snap):
                    self._restore(step)
                    last_zones, early, self._since = zones_entry(step.zones()), [], (0, 0)
                    continue
                self._since = (self._since[0] + 1, self._since[1])
                if isinstance(step, Batch):
                    self._feed(step)
                    self._since = (self._since[0], self._since[1] + len(step.readings))
                    if self.processors.reorder.watermark == -math.inf:
                        early.append(step)
                elif isinstance(step, Zones):
                    last_zones = entry.body
                    self._put_zones(step.zones(), early)
                else:
                    self.processors.flush()
                steps += 1
            after = page[-1].seq
        if steps:
            log.info(
                "inbox: state rebuilt from %d steps (%d readings, %d still held for reordering)",
                steps,
                self.counters.replayed,
                len(self.processors.reorder),
            )
        if last_zones == wanted_entry:
            return
        now = self.now()
        with self.store.unit_of_work():
            self._keep(wanted_entry)
            result = self._put_zones(wanted, early)
            if result is not None:
                self._sink(result, [], now)

    def _keep(self, body: bytes, readings: int = 0) -> None:
        """Add ``body`` to the inbox (in the caller's unit of work)."""
        self.store.inbox_add(INBOX, float(self._generation), body)
        self._since = (self._since[0] + 1, self._since[1] + readings)

    def _compact(self) -> None:
        """When due, snapshot the processors and drop the inbox entries the snapshot stands for.

        Called in the unit of work of the step just kept, after it was processed. Not before the
        watermark first moves: until then a zone swap rebuilds the processors from the early steps.
        """
        steps, readings = self._since
        if not self.inbox or (steps < self.compact_steps and readings < self.compact_readings):
            return
        if self.processors.reorder.watermark == -math.inf:
            return
        self._generation += 1
        p = self.processors
        self.store.inbox_add(INBOX, float(self._generation), snap_entry(p.index.zones, p.snapshot()))
        self.store.inbox_done(INBOX, float(self._generation - 1))
        self._since = (0, 0)
        self.counters.compactions += 1

    def _restore(self, step: Snap) -> None:
        """Fresh processors under the snapshot's zones, in the snapshot's state."""
        p = self.processors
        self.processors = Processors(
            step.zones(), lateness_s=p.reorder.lateness_s, thresholds=p.plans.thresholds
        )
        self.processors.restore(step.state)

    def _feed(self, step: Batch) -> None:
        self.processors.add_plans(step.plans)
        self.processors.process(step.readings, step.source_time)
        self.counters.replayed += len(step.readings)

    def _put_zones(self, zones: Sequence[Zone], early: Sequence[Batch]) -> StageResult | None:
        """Swap ``zones`` in as a live swap did; what the swap reports (None: nothing to swap from).

        Before the watermark first moves no container has zone state (and there is no time to swap
        at): the same steps under ``zones`` from the start give the same state.
        """
        if self.processors.reorder.watermark > -math.inf:
            return self.processors.replace_zones(zones)
        p = self.processors
        self.processors = Processors(zones, lateness_s=p.reorder.lateness_s, thresholds=p.plans.thresholds)
        for step in early:
            self._feed(step)
        self.counters.replayed -= sum(len(step.readings) for step in early)
        return None

    def _newest_zone_change(self) -> ZoneChange | None:
        newest = self.store.zone_log(limit=1)
        return newest[0] if newest else None

    def _sink(self, result: StageResult, rfid: Sequence[RfidRead], now: float) -> None:
        c = self.counters
        store = self.store
        if result.readings and not any(result.jumped):
            store.write_readings(result.readings, result.reading_ids)  # the usual case: no copies
        elif result.readings:
            ok = [
                (r, i)
                for r, i, j in zip(result.readings, result.reading_ids, result.jumped, strict=True)
                if not j
            ]
            jumped = [
                (r, i)
                for r, i, j in zip(result.readings, result.reading_ids, result.jumped, strict=True)
                if j
            ]
            store.write_readings([r for r, _ in ok], [i for _, i in ok])
            if jumped:
                store.write_readings(
                    [r for r, _ in jumped], [i for _, i in jumped], flag=ReadingFlag.GPS_JUMP
                )
                c.jumped += len(jumped)
        late_ids = [reading_id(r.device_id, r.seq) for r in result.late]
        if result.late:
            store.write_readings(result.late, late_ids, flag=ReadingFlag.LATE)
            c.late += len(result.late)
        if result.events:
            store.write_events(result.events)
            c.events.update(e.kind.value for e in result.events)
        if result.alerts:
            store.write_alerts(result.alerts)
            c.alerts.update(a.kind.value for a in result.alerts)
            self.alerts.extend(result.alerts)
        if self.anchoring is not None:
            records: list[Record] = [*result.readings, *result.late, *rfid, *result.events, *result.alerts]
            ids: list[str | None] = [*result.reading_ids, *late_ids]
            ids.extend([None] * (len(records) - len(ids)))  # cheap for the rest: ids are fields
            c.anchored_batches += self.anchoring.add(records, now, ids)
