"""One partition's processing: input records in, micro-batch outputs out. No Kafka here.

Contract, per partition of the telemetry topic, in offset order:

- readings, RFID reads and voyage plans accumulate; a ``Tick`` closes the
  micro-batch and runs it exactly as ``EmbeddedRuntime.ingest`` runs one batch
  (validate with now = the tick's source time, plans first, ``Processors.process``
  with that source time, the anchoring batcher on that clock);
- a final tick also flushes the reorder buffer, fires the timers and closes the
  open anchor batch, like ``EmbeddedRuntime.finish``;
- ``close_chunk`` serves feeds that send no ticks: it runs what is pending with
  the wall clock and no source time.

Everything is a deterministic function of the records fed in, so replaying a
partition from its first offset rebuilds the state (reorder buffer, per-container
state, open anchor batch) and regenerates identical outputs with identical ids.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cargotrail.contract.ids import reading_id
from cargotrail.contract.records import Alert, GeofenceEvent, Reading, Record, RfidRead, VoyagePlan
from cargotrail.contract.validate import Rejection, split_readings, split_rfid
from cargotrail.kafka.codec import Input, Readings, Tick
from streams.processors.batcher import AnchoringBatcher, ClosedBatch
from streams.processors.pipeline import Processors, StageResult

IN_ORDER, LATE, GPS_JUMP = 0, 1, 2  # store.base.ReadingFlag values (the store is not imported here)
ANCHORED = (Reading, RfidRead, GeofenceEvent, Alert)


@dataclass
class Outputs:
    """What one micro-batch produced, in the order the embedded runtime stores it."""

    readings: list[tuple[Reading, str, int]] = field(default_factory=list)  # reading, id, flag
    plans: list[VoyagePlan] = field(default_factory=list)
    rfid: list[RfidRead] = field(default_factory=list)
    events: list[GeofenceEvent] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    anchors: list[ClosedBatch] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    now: float = 0.0  # the clock of this micro-batch (plans' seen time, dead letters' time)
    final: bool = False
    # Readings dropped as copies of readings taken before (same device and seq), caught while the
    # original is held for reordering or in the same micro-batch. Unlike the embedded runtime, no
    # store is asked about late copies of released readings (the worker has none): see app.py.
    duplicates: int = 0


class PartitionJob:
    def __init__(
        self,
        processors: Processors,
        *,
        stream: str,
        max_future_s: float,
        anchor_records: int,
        anchor_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.processors = processors
        self.batcher = AnchoringBatcher(stream, anchor_records, anchor_seconds)
        self.max_future_s = max_future_s
        self.clock = clock
        self.readings: list[Reading] = []
        self.rfid: list[RfidRead] = []
        self.plans: list[VoyagePlan] = []
        self.finished = False

    def push(self, record: Input) -> Outputs | None:
        """Feed one input record; a tick returns the micro-batch it closed."""
        if isinstance(record, Readings):
            self.readings.extend(record.readings)
        elif isinstance(record, Reading):
            self.readings.append(record)
        elif isinstance(record, RfidRead):
            self.rfid.append(record)
        elif isinstance(record, VoyagePlan):
            self.plans.append(record)
        elif isinstance(record, Tick):
            if self.finished:
                return None  # a repeated final tick (producer retry across a restart) changes nothing
            pending = self.readings or self.rfid or self.plans
            if record.final and not pending:  # end of input right after a tick: only flush
                out = Outputs(now=record.source_time)
            else:
                out = self._run(record.source_time, record.source_time)
            if record.final:
                self._finish(out)
            return out
        return None

    @property
    def pending(self) -> int:
        """Records waiting for the next tick (or ``close_chunk``)."""
        return len(self.readings) + len(self.rfid) + len(self.plans)

    def close_chunk(self) -> Outputs | None:
        """For tickless feeds: run whatever is pending now."""
        if not (self.readings or self.rfid or self.plans):
            return None
        return self._run(self.clock(), None)

    def _run(self, now: float, source_time: float | None) -> Outputs:
        readings, rfid, plans = self.readings, self.rfid, self.plans
        self.readings, self.rfid, self.plans = [], [], []
        out = Outputs(now=now, plans=plans)
        out.rfid, out.rejections = split_rfid(rfid, now_s=now, max_future_s=self.max_future_s)
        valid, bad = split_readings(
            readings, now=datetime.fromtimestamp(now, UTC), max_future_s=self.max_future_s
        )
        out.rejections.extend(bad)
        self.processors.add_plans(plans)
        result = self.processors.process(valid, source_time)
        out.duplicates = len(result.duplicates)
        self._collect(result, out, out.rfid)
        return out

    def _finish(self, out: Outputs) -> None:
        self._collect(self.processors.flush(), out, [])
        out.anchors.extend(self.batcher.flush())
        out.final = self.finished = True

    def _collect(self, result: StageResult, out: Outputs, rfid: list[RfidRead]) -> None:
        """Same records, same order as ``EmbeddedRuntime._sink`` (the anchor order makes the roots)."""
        for r, rid, jumped in zip(result.readings, result.reading_ids, result.jumped, strict=True):
            out.readings.append((r, rid, GPS_JUMP if jumped else IN_ORDER))
        out.readings.extend((r, reading_id(r.device_id, r.seq), LATE) for r in result.late)
        out.events.extend(result.events)
        out.alerts.extend(result.alerts)
        records: list[Record] = [*result.readings, *result.late, *rfid, *result.events, *result.alerts]
        anchorable = [r for r in records if isinstance(r, ANCHORED)]
        out.anchors.extend(self.batcher.add(anchorable, now=out.now))
