"""Turning fix arrays and schedule rows into contract records, batch by batch.

Contract: ``Emitter.batch`` builds the ``SimBatch`` of window (w0, w1]:
readings sorted by ts (deliberately delayed ones are held back and released in
the batch whose window holds ``ts + delay``, or in the last batch), RFID reads
at the phase boundaries that fall in the window, and the plans of voyages
starting in it (``first``: also those under way). Numbers are rounded in
numpy before any Python object is made, so the per-record cost is one
``Reading(...)`` call.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from cargotrail.contract.records import BizStep, ContainerClass, Reading, RfidRead, VoyagePlan
from cargotrail.settings import DEFAULT_THRESHOLDS
from services.simulator import rng
from services.simulator.fleet import CLASSES, Fleet
from services.simulator.track import Fixes
from services.simulator.voyage import CUSTOMS, N_PHASES, SEA, TERM_D, TERM_O, TRUCK_IN, Schedule
from services.simulator.world import World

if TYPE_CHECKING:
    from services.simulator.simulator import SimConfig

_S_LATE, _S_DELAY = 40, 41
# (phase boundary, business step, at the destination?, reader kind)
_RFID_POINTS = [
    (TERM_O, BizStep.ARRIVING, False, "GATE"),
    (SEA, BizStep.LOADING, False, "CRANE"),
    (TERM_D, BizStep.UNLOADING, True, "CRANE"),
    (CUSTOMS, BizStep.INSPECTING, True, "SCAN"),
    (TRUCK_IN, BizStep.DEPARTING, True, "GATE"),
]
_READERS = {"GATE": 4, "CRANE": 12, "SCAN": 2}


@dataclass(frozen=True)
class SimBatch:
    """One step of device time: apply ``plans`` first, then ``rfid`` and ``readings``."""

    readings: list[Reading]
    rfid: list[RfidRead]
    plans: list[VoyagePlan]
    watermark: datetime


class Emitter:
    def __init__(self, w: World, s: Schedule, fleet: Fleet, cfg: SimConfig) -> None:
        self.w, self.s, self.fleet, self.cfg = w, s, fleet, cfg
        self.t0 = cfg.start
        self._pending: list[tuple[float, int, Reading]] = []
        self._count = 0
        reefer = DEFAULT_THRESHOLDS[ContainerClass.REEFER]
        self._band = (reefer.temp_min_c, reefer.temp_max_c)

    def reset(self) -> None:
        self._pending = []

    def _ts(self, seconds: npt.NDArray[np.float64]) -> list[datetime]:
        base = self.t0
        return [base + timedelta(seconds=x) for x in seconds.tolist()]

    def readings(self, fx: Fixes, keep: npt.NDArray[np.bool_]) -> list[Reading]:
        """The kept fixes as readings, sorted by (ts, container index)."""
        idx = np.flatnonzero(keep)
        idx = idx[np.lexsort((fx.c[idx], fx.t[idx]))]
        c = fx.c[idx]
        dev, cid = self.fleet.device_ids, self.fleet.container_ids
        r1 = [np.round(a[idx], 1).tolist() for a in (fx.speed, fx.heading, fx.hdop, fx.humidity, fx.battery)]
        r2 = [np.round(a[idx], 2).tolist() for a in (fx.temp, fx.shock)]
        r6 = [np.round(a[idx], 6).tolist() for a in (fx.lat, fx.lon)]
        seqs, door = (fx.k[idx] + 1).tolist(), fx.door[idx].tolist()
        cols = zip(c.tolist(), seqs, self._ts(fx.t[idx]), *r6, *r1[:3], *r2, r1[3], door, r1[4], strict=True)
        out = [
            Reading(
                device_id=dev[ci],
                container_id=cid[ci],
                seq=seq,
                ts=ts,
                lat=la,
                lon=lo,
                speed_kmh=sp,
                heading=hd if hd == hd else None,
                hdop=hp,
                temperature_c=tc,
                shock_g=sh,
                humidity_pct=hu,
                door_open=do,
                battery_pct=ba,
            )
            for ci, seq, ts, la, lo, sp, hd, hp, tc, sh, hu, do, ba in cols
        ]
        return out

    def batch(
        self, fx: Fixes, keep: npt.NDArray[np.bool_], w0: float, w1: float, *, first: bool, last: bool
    ) -> SimBatch:
        cfg = self.cfg
        if cfg.out_of_order_share > 0:
            late = keep & (rng.uniform(cfg.seed, _S_LATE, fx.c, fx.k) < cfg.out_of_order_share)
            delay = rng.uniform(cfg.seed, _S_DELAY, fx.c, fx.k) * cfg.max_delay_s
            order = np.lexsort((fx.c[late], fx.t[late]))  # the order readings() uses
            for r, release in zip(
                self.readings(fx, late), (fx.t[late] + delay[late])[order].tolist(), strict=True
            ):
                self._count += 1
                heapq.heappush(self._pending, (release, self._count, r))
            keep = keep & ~late
        readings = self.readings(fx, keep)
        released: list[Reading] = []
        while self._pending and (last or self._pending[0][0] <= w1):
            released.append(heapq.heappop(self._pending)[2])
        if released:
            readings = sorted(readings + released, key=lambda r: (r.ts, r.device_id))
        return SimBatch(
            readings, self.rfid(w0, w1), self.plans(w0, w1, first), self.t0 + timedelta(seconds=w1)
        )

    def rfid(self, w0: float, w1: float) -> list[RfidRead]:
        s, w = self.s, self.w
        out: list[tuple[float, RfidRead]] = []
        for phase, step, at_dest, kind in _RFID_POINTS:
            t = s.bounds[:, phase]
            rows = np.flatnonzero((w0 < t) & (t <= w1))
            if phase == CUSTOMS:  # only voyages whose customs inspection takes time
                rows = rows[s.bounds[rows, CUSTOMS + 1] > s.bounds[rows, CUSTOMS]]
            for v in rows.tolist():
                c = int(s.cont[v])
                port = w.ports[int(s.dest[v] if at_dest else s.origin[v])].locode
                point = f"customs:{port}" if kind == "SCAN" else f"terminal:{port}:T1"
                reader = (
                    f"{port}-CUS-SCAN-{1 + c % _READERS[kind]}"
                    if kind == "SCAN"
                    else f"{port}-T1-{kind}-{1 + c % _READERS[kind]}"
                )
                ts = self.t0 + timedelta(seconds=float(t[v]))
                out.append(
                    (
                        float(t[v]),
                        RfidRead(
                            tag_epc=self.fleet.tag_epc(c),
                            container_id=self.fleet.container_ids[c],
                            reader_id=reader,
                            read_point=point,
                            biz_step=step,
                            ts=ts,
                        ),
                    )
                )
        out.sort(key=lambda x: (x[0], x[1].container_id))
        return [r for _, r in out]

    def plans(self, w0: float, w1: float, first: bool) -> list[VoyagePlan]:
        s, w, cfg = self.s, self.w, self.cfg
        b0, end = s.bounds[:, 0], s.bounds[:, N_PHASES]
        mask = (w0 < b0) & (b0 <= w1)
        if first:
            mask |= (b0 <= w0) & (end > w0)
        out = []
        for v in np.flatnonzero(mask).tolist():
            c = int(s.cont[v])
            cls = CLASSES[int(self.fleet.class_codes[c])]
            band = self._band if cls is ContainerClass.REEFER else (None, None)
            out.append(
                (
                    float(b0[v]),
                    VoyagePlan(
                        container_id=self.fleet.container_ids[c],
                        origin=w.ports[int(s.origin[v])].locode,
                        destination=w.ports[int(s.dest[v])].locode,
                        corridor_zone_ids=w.corridor_ids(
                            int(s.depot_o[v]), int(s.sea_pid[v]), int(s.depot_d[v])
                        ),
                        container_class=cls,
                        temp_min_c=band[0],
                        temp_max_c=band[1],
                        report_interval_s=cfg.report_interval_s,
                    ),
                )
            )
        out.sort(key=lambda x: (x[0], x[1].container_id))
        return [p for _, p in out]
