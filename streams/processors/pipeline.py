"""The processors chained for one micro-batch, runtime-agnostic.

reorder (device time, lateness bound) -> GPS-jump filter -> geofence
transitions -> anomaly rules -> timers (signal loss, dwell). Every runtime
(embedded, Faust) feeds micro-batches in and gets the same records out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from cargotrail.contract.records import Alert, ContainerClass, GeofenceEvent, Reading, VoyagePlan, ZoneType
from cargotrail.settings import Thresholds
from geofence.index import ZoneIndex
from geofence.state import Fixes
from geofence.transitions import ZoneTracker
from geofence.zones import Zone
from streams.processors import snapshot
from streams.processors.anomaly import AnomalyProcessor
from streams.processors.copies import Stored, find_copies, stored_copies
from streams.processors.plans import PlanBook
from streams.processors.released import Released
from streams.processors.reorder import ReorderBuffer
from streams.processors.table import ReadingTable, read_table

Ints = npt.NDArray[np.int64]
Objects = npt.NDArray[np.object_]

SERVICE_ZONES = (ZoneType.PORT, ZoneType.TERMINAL, ZoneType.CUSTOMS, ZoneType.DEPOT)


@dataclass
class StageResult:
    """What one micro-batch produced.

    ``readings`` are the in-order readings released by the reorder buffer with
    their ``reading_ids``; ``jumped`` marks those rejected as GPS jumps (kept for
    the audit trail, never shown as a position); ``late`` arrived after the
    watermark had passed them. ``duplicates``: positions in the micro-batch of the
    readings dropped as copies of readings taken before (``streams.processors.copies``).
    """

    readings: list[Reading] = field(default_factory=list)
    reading_ids: list[str] = field(default_factory=list)
    jumped: list[bool] = field(default_factory=list)
    late: list[Reading] = field(default_factory=list)
    events: list[GeofenceEvent] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    watermark: float = float("-inf")
    duplicates: list[int] = field(default_factory=list)


class Processors:
    """All per-container state of the processing stage, fed in micro-batches."""

    def __init__(
        self,
        zones: Sequence[Zone],
        *,
        lateness_s: float,
        thresholds: Mapping[ContainerClass, Thresholds] | None = None,
    ):
        self.index = ZoneIndex(zones)
        self.tracker = ZoneTracker(self.index)
        self.plans = PlanBook([z.zone_id for z in self.index.zones], thresholds)
        self.anomaly = AnomalyProcessor(self.plans)
        self.reorder = ReorderBuffer(lateness_s)
        self._service = np.array([t in SERVICE_ZONES for t in self.index.zone_types], dtype=bool)
        self._tracker_generation = self.tracker.generation
        self._tracker_code: Ints = np.empty(0, np.int64)  # plan code -> tracker code, -1 when unknown

    def replace_zones(self, zones: Sequence[Zone]) -> StageResult:
        """Process with ``zones`` from now on, keeping every container's state; what the swap reports.

        Call it between micro-batches. The swap happens at the watermark: each tracked container is
        re-checked at its last accepted fix (``geofence.swap`` says what that emits: ``enter`` for
        zones it is now inside, no ``exit`` for zones deleted from under it, dwell limits as changed
        from now on). Restricted-zone alerts follow from those events; voyage plans' corridors and
        the service-zone rules use the new zones from the next batch on.
        """
        index = ZoneIndex(zones)
        watermark = self.reorder.watermark
        events = self.tracker.replace_zones(index, watermark)
        self.index = index
        self.plans.replace_zones([z.zone_id for z in index.zones])
        self._service = np.array([t in SERVICE_ZONES for t in index.zone_types], dtype=bool)
        return StageResult(events=events, alerts=self.anomaly.on_geofence(events), watermark=watermark)

    def snapshot(self) -> bytes:
        """Everything that influences later outputs, as bytes (``streams.processors.snapshot``).

        Take it between micro-batches; ``restore`` puts it into fresh processors built with the same
        zones (those in force when it was taken) and settings, which then give the same outputs.
        """
        return snapshot.take(self._fingerprints(), self.reorder, self.plans, self.anomaly, self.tracker)

    def restore(self, data: bytes) -> None:
        """Take the state in ``data`` (a ``snapshot``); these processors must be fresh.

        ``SnapshotMismatch`` (a ``ConfigError``) when ``data`` is unreadable, of another version,
        or was taken under other zones or settings.
        """
        snap = snapshot.decode(data)
        snapshot.put(snap, self._fingerprints(), self.reorder, self.plans, self.anomaly, self.tracker)

    def _fingerprints(self) -> tuple[str, str]:
        settings = snapshot.settings_fingerprint(self.reorder.lateness_s, self.plans.thresholds)
        return snapshot.zones_fingerprint(self.index.zones), settings

    def add_plans(self, plans: Iterable[VoyagePlan]) -> None:
        self.plans.add(plans)

    def process(
        self, readings: Iterable[Reading], source_time: float | None = None, *, stored: Stored | None = None
    ) -> StageResult:
        """One micro-batch; ``source_time`` as in ``ReorderBuffer.push``.

        Copies of readings taken before are dropped first (``streams.processors.copies``): those of
        readings earlier in the batch or held here always; those of readings released already, by
        asking ``stored`` about the late readings (None: not asked, so such copies go on, as late).
        """
        rs = readings if isinstance(readings, list) else list(readings)
        table = read_table(rs, self.reorder.devices, self.plans)
        copies = self._copies(table, stored)
        if copies.size:
            keep = np.ones(len(table), dtype=bool)
            keep[copies] = False
            table = table.take(np.flatnonzero(keep))
        released, late = self.reorder.push(table, source_time)
        out = self._run(released, late.readings.tolist())
        out.duplicates = copies.tolist()
        return out

    def _copies(self, table: ReadingTable, stored: Stored | None) -> Ints:
        """Rows of ``table`` that are copies of readings taken before (ascending)."""
        copies = find_copies(self.reorder.held, table)
        if stored is None:
            return copies
        late = table.ts <= self.reorder.watermark
        late[copies] = False
        found = stored_copies(table, np.flatnonzero(late), self.reorder.devices.names, stored)
        return np.union1d(copies, found) if found.size else copies

    def flush(self) -> StageResult:
        """End of input: release everything held; timers fire up to the newest device time seen."""
        return self._run(self.reorder.flush(), [])

    def _run(self, released: ReadingTable, late: list[Reading]) -> StageResult:
        watermark = self.reorder.watermark
        out = StageResult(late=late, watermark=watermark)
        out.alerts.extend(self.anomaly.late_readings(late))
        n = len(released)
        if n:
            b = Released.of(released, self.reorder.devices.names, self.plans)
            out.readings, out.reading_ids = b.readings, b.ids
            out.alerts.extend(self.anomaly.watch_signal(b))
            accepted, jump_alerts = self.anomaly.screen_jumps(b)
            out.jumped = (~accepted).tolist()
            out.alerts.extend(jump_alerts)
            keep = np.flatnonzero(accepted)
            rows = keep if len(keep) < n else slice(None)  # the usual case: no GPS jump, no copies
            fixes = Fixes(
                container_ids=b.containers[rows],
                device_ids=b.devices[rows],
                reading_ids=b.id_arr[rows],
                ts=b.ts[rows],
                lons=b.lon[rows],
                lats=b.lat[rows],
            )
            tracked = self.tracker.process(fixes, self._tracker_codes(b.codes[rows], b.containers[rows]))
            out.events.extend(tracked.events)
            in_service, on_route = self._zone_flags(tracked.zone_hits, b.codes[keep])
            fresh = np.flatnonzero(~tracked.late)
            out.alerts.extend(self.anomaly.apply_rules(b, keep[fresh], in_service[fresh], on_route[fresh]))
            out.alerts.extend(self.anomaly.on_geofence(tracked.events))
        if watermark > float("-inf"):
            out.events.extend(self.tracker.on_watermark(watermark))
            out.alerts.extend(self.anomaly.on_watermark(watermark))
        return out

    def _tracker_codes(self, codes: Ints, containers: Objects) -> Ints:
        """The tracker's codes of these containers (``codes``: theirs in ``plans``), remembered by plan code.

        Containers the tracker has not numbered yet are numbered by it in order, as it would.
        """
        if self._tracker_generation != self.tracker.generation:  # its codes were renumbered
            self._tracker_generation, self._tracker_code = self.tracker.generation, np.empty(0, np.int64)
        if len(self._tracker_code) < len(self.plans):
            grown = np.full(max(2 * len(self._tracker_code), len(self.plans), 1024), -1, dtype=np.int64)
            grown[: len(self._tracker_code)] = self._tracker_code
            self._tracker_code = grown
        got = self._tracker_code[codes]
        new = np.flatnonzero(got < 0)
        if new.size:
            got[new] = self.tracker.codes_of(containers[new].tolist())
            self._tracker_code[codes[new]] = got[new]
        return got

    def _zone_flags(
        self, hits: tuple[np.ndarray, np.ndarray], codes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per fix: inside a service zone; on its planned route (or has no plan)."""
        fix, zone = hits
        n = len(codes)
        in_service = np.zeros(n, dtype=bool)
        in_service[fix[self._service[zone]]] = True
        on_corridor = np.zeros(n, dtype=bool)
        on_corridor[fix[self.plans.on_corridor(codes[fix], zone)]] = True
        on_route = on_corridor | in_service | ~self.plans.has_plan(codes)
        return in_service, on_route
