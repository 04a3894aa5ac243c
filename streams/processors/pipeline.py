"""The processors chained for one micro-batch, runtime-agnostic.

reorder (device time, lateness bound) -> GPS-jump filter -> geofence
transitions -> anomaly rules -> timers (signal loss, dwell). Every runtime
(embedded, Faust) feeds micro-batches in and gets the same records out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from cargotrail.contract.ids import reading_id
from cargotrail.contract.records import Alert, ContainerClass, GeofenceEvent, Reading, VoyagePlan, ZoneType
from cargotrail.settings import Thresholds
from geofence.index import ZoneIndex
from geofence.state import Fixes
from geofence.transitions import ZoneTracker
from geofence.zones import Zone
from streams.processors.anomaly import AnomalyProcessor
from streams.processors.plans import PlanBook
from streams.processors.reorder import ReorderBuffer

SERVICE_ZONES = (ZoneType.PORT, ZoneType.TERMINAL, ZoneType.CUSTOMS, ZoneType.DEPOT)


@dataclass
class StageResult:
    """What one micro-batch produced.

    ``readings`` are the in-order readings released by the reorder buffer with
    their ``reading_ids``; ``jumped`` marks those rejected as GPS jumps (kept for
    the audit trail, never shown as a position); ``late`` arrived after the
    watermark had passed them.
    """

    readings: list[Reading] = field(default_factory=list)
    reading_ids: list[str] = field(default_factory=list)
    jumped: list[bool] = field(default_factory=list)
    late: list[Reading] = field(default_factory=list)
    events: list[GeofenceEvent] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    watermark: float = float("-inf")


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

    def add_plans(self, plans: Iterable[VoyagePlan]) -> None:
        self.plans.add(plans)

    def process(self, readings: Iterable[Reading], source_time: float | None = None) -> StageResult:
        """One micro-batch; ``source_time`` as in ``ReorderBuffer.push``."""
        released, late = self.reorder.push(readings, source_time)
        return self._run(released, self.reorder.released_ts, late, self.reorder.watermark)

    def flush(self) -> StageResult:
        """End of input: release everything held; timers fire up to the newest device time seen."""
        released = self.reorder.flush()
        return self._run(released, self.reorder.released_ts, [], self.reorder.watermark)

    def _run(
        self, released: list[Reading], released_ts: list[float], late: list[Reading], watermark: float
    ) -> StageResult:
        out = StageResult(readings=released, late=late, watermark=watermark)
        out.alerts.extend(self.anomaly.late_readings(late))
        n = len(released)
        if n:
            ts = np.array(released_ts, dtype=np.float64)
            lon = np.fromiter((r.lon for r in released), np.float64, n)
            lat = np.fromiter((r.lat for r in released), np.float64, n)
            cids = [r.container_id for r in released]
            dids = [r.device_id for r in released]
            codes = np.array(self.plans.codes_of(cids), dtype=np.int64)
            out.reading_ids = [reading_id(d, r.seq) for d, r in zip(dids, released, strict=True)]
            ids = np.array(out.reading_ids, dtype=object)
            out.alerts.extend(self.anomaly.watch_signal(released, ts, lon, lat, codes, ids))
            accepted, jump_alerts = self.anomaly.screen_jumps(released, ts, lon, lat, codes, ids)
            out.jumped = (~accepted).tolist()
            out.alerts.extend(jump_alerts)
            keep = np.flatnonzero(accepted)
            if len(keep) == n:  # the usual case: no GPS jump in the batch, no copies needed
                fixes = Fixes(container_ids=cids, device_ids=dids, reading_ids=out.reading_ids,
                              ts=ts, lons=lon, lats=lat)  # fmt: skip
            else:
                fixes = Fixes(container_ids=[cids[i] for i in keep], device_ids=[dids[i] for i in keep],
                              reading_ids=[out.reading_ids[i] for i in keep], ts=ts[keep], lons=lon[keep],
                              lats=lat[keep])  # fmt: skip
            tracked = self.tracker.process(fixes)
            out.events.extend(tracked.events)
            in_service, on_route = self._zone_flags(tracked.zone_hits, codes[keep])
            fresh = np.flatnonzero(~tracked.late)
            rows = keep[fresh]
            out.alerts.extend(
                self.anomaly.apply_rules(
                    [released[i] for i in rows],
                    ts[rows],
                    lon[rows],
                    lat[rows],
                    codes[rows],
                    ids[rows],
                    in_service[fresh],
                    on_route[fresh],
                )
            )
            out.alerts.extend(self.anomaly.on_geofence(tracked.events))
        if watermark > float("-inf"):
            out.events.extend(self.tracker.on_watermark(watermark))
            out.alerts.extend(self.anomaly.on_watermark(watermark))
        return out

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
