"""What anomaly placement works with: the run's world, schedule and fix clock, plus checks.

Contract: ``Context`` evaluates the normal fixes of one container
(``fixes``), finds mid-sea windows (``sea_window``: at least ``SEA_MARGIN_S``
from either berth, within the horizon) and checks candidate positions
(``clean``: outside every port, terminal, customs and depot circle and, unless
allowed, 10 km clear of restricted zones; ``speeds_ok``: consecutive fixes
under a speed). ``Anomaly`` is the placed result: fix-number overrides and the
truth window in seconds since the simulation start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from cargotrail.contract.records import AlertKind
from services.simulator.geo import haversine_km
from services.simulator.track import Fixes, evaluate
from services.simulator.voyage import SEA, Schedule
from services.simulator.world import World
from services.simulator.zones import service_circles

H = 3600.0
SEA_MARGIN_S = 3 * H


@dataclass
class Anomaly:
    kind: AlertKind
    c: int
    truth: tuple[float, float]  # first and last anomalous fix (signal loss: last before, first after)
    fields: dict[int, dict[str, float | bool]] = field(default_factory=dict)  # fix number -> overrides
    drop: tuple[int, int] | None = None  # fix numbers in [a, b) are never reported


@dataclass
class Context:
    world: World
    sched: Schedule
    seed: int
    reefer: npt.NDArray[np.bool_]
    phase: npt.NDArray[np.float64]  # per-container fix phase, s
    interval: float
    horizon: float
    rng: np.random.Generator

    def fixes(self, c: int, k0: int, k1: int) -> Fixes:
        k = np.arange(k0, k1 + 1, dtype=np.int64)
        cc = np.full(len(k), c, dtype=np.int64)
        return evaluate(
            self.world,
            self.sched,
            self.seed,
            self.reefer,
            cc,
            k,
            self.phase[c] + k * self.interval,
            self.interval,
        )

    def k_at(self, c: int, t: float) -> int:
        """The first fix number due at or after ``t``."""
        return int(np.ceil((t - self.phase[c]) / self.interval))

    def sea_window(self, c: int, need_s: float) -> tuple[int, float] | None:
        """A random voyage row and start time so [start, start + need_s] is mid-sea and in the horizon."""
        s = self.sched
        rows = np.arange(s.first_row[c], s.first_row[c] + s.row_count[c])
        for v in self.rng.permutation(rows).tolist():
            lo = max(s.bounds[v, SEA] + SEA_MARGIN_S, 2 * H + 2 * self.interval)
            hi = min(s.bounds[v, SEA + 1] - SEA_MARGIN_S, self.horizon - 3 * H) - need_s
            if hi > lo:
                return v, lo + self.rng.random() * (hi - lo)
        return None

    def clean(
        self, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64], restricted_ok: bool = False
    ) -> bool:
        """No point inside a service circle nor (unless allowed) within 10 km of a restricted zone."""
        clat, clon, crad = service_circles(self.world.zones)
        d = haversine_km(lat[:, None], lon[:, None], clat[None, :], clon[None, :])
        if (d <= crad[None, :] + 1.0).any():
            return False
        if restricted_ok:
            return True
        for r in self.world.zones.restricted:
            if (haversine_km(lat, lon, r.lat, r.lon) <= r.radius_km + 10.0).any():
                return False
        return True

    def speeds_ok(
        self, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64], limit: float = 200.0
    ) -> bool:
        d = haversine_km(lat[:-1], lon[:-1], lat[1:], lon[1:])
        return bool((d / (self.interval / H) < limit).all())
