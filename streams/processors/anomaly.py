"""Anomaly detection over micro-batches, per container, in device time.

Two passes per batch, vectorised over the batch, with a per-container slow
path (the reference rules, one fix at a time) only where something is unusual:

1. ``screen_jumps`` rejects fixes that imply an impossible speed (before the
   geofence stage sees them).
2. ``apply_rules`` runs route deviation, unscheduled stop, door, temperature
   and shock rules on accepted fixes, using what the geofence stage found.

Signal loss is a timer: ``watch_signal`` raises the silences a batch reveals
and ``on_watermark`` those that device time passes, even if the container
never reports again; both build the same alert. Restricted-zone entries come
from geofence events (``on_geofence``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from cargotrail.contract.ids import reading_id
from cargotrail.contract.records import Alert, AlertKind, GeofenceEvent, GeofenceKind, Reading, ZoneType
from streams.processors.alerts import make_alert, minutes, utc
from streams.processors.columns import Columns
from streams.processors.geo import haversine_m
from streams.processors.jumps import MIN_DT_S, screen_fix
from streams.processors.plans import PlanBook
from streams.processors.released import Released
from streams.processors.rules import FixContext, shock, step
from streams.processors.state import ContainerState

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Objects = npt.NDArray[np.object_]


class _Groups:
    """A batch ordered by container (stable, so device-time order holds within each)."""

    def __init__(self, codes: Ints):
        self.order = np.argsort(codes, kind="stable")
        self.codes = codes[self.order]
        n = len(self.codes)
        first = np.ones(n, dtype=bool)
        first[1:] = self.codes[1:] != self.codes[:-1]
        self.gid = np.cumsum(first) - 1  # group of each position in ``order``
        self.starts = np.flatnonzero(first)
        self.ends = np.append(self.starts[1:], n)
        self.group_codes = self.codes[self.starts]
        self.last = self.order[self.ends - 1]  # batch index of each group's last fix

    def previous(self, values: Floats, held: Floats) -> Floats:
        """Each position's predecessor value: within its group, else ``held`` (by code)."""
        prev = np.roll(values[self.order], 1)
        prev[self.starts] = held[self.group_codes]
        return np.asarray(prev)


class AnomalyProcessor:
    def __init__(self, plans: PlanBook):
        self.plans = plans
        self.cols = Columns()
        self.episodes: dict[str, ContainerState] = {}  # only containers that ever took the slow path
        self.force_slow_path = False  # tests hold the fast path to the reference
        self._grouped: tuple[Ints, _Groups] | None = None  # the last batch's codes and their groups

    def _groups(self, codes: Ints) -> _Groups:
        """``_Groups(codes)``, reused while the passes of one batch ask for the same codes array."""
        if self._grouped is None or self._grouped[0] is not codes:
            self._grouped = (codes, _Groups(codes))
        return self._grouped[1]

    # -- state ------------------------------------------------------------------
    def _load(self, c: int) -> ContainerState:
        cid, k = self.plans.ids[c], self.cols
        s = self.episodes.get(cid) or ContainerState()
        s.last_ts, s.last_lon, s.last_lat = float(k.last_ts[c]), float(k.last_lon[c]), float(k.last_lat[c])
        s.last_reading_id, s.last_device_id = str(k.last_rid[c]), str(k.last_dev[c])
        s.seen_ts, s.seen_lon, s.seen_lat = float(k.seen_ts[c]), float(k.seen_lon[c]), float(k.seen_lat[c])
        s.seen_id, s.seen_device_id = str(k.seen_rid[c]), str(k.seen_dev[c])
        s.signal_fired_for = float(k.fired_for[c])
        return s

    def _store(self, c: int, s: ContainerState) -> None:
        k = self.cols
        k.last_ts[c], k.last_lon[c], k.last_lat[c] = s.last_ts, s.last_lon, s.last_lat
        k.last_rid[c], k.last_dev[c] = s.last_reading_id, s.last_device_id
        k.seen_ts[c], k.seen_lon[c], k.seen_lat[c] = s.seen_ts, s.seen_lon, s.seen_lat
        k.seen_rid[c], k.seen_dev[c], k.fired_for[c] = s.seen_id, s.seen_device_id, s.signal_fired_for
        k.busy[c] = not s.quiet()
        self.episodes[self.plans.ids[c]] = s

    @property
    def state(self) -> dict[str, ContainerState]:
        """Every container's full state (a snapshot: for tests, changelogs and debugging)."""
        self.cols.ensure(len(self.plans))
        return {cid: self._load(c) for cid, c in self.plans.codes.items() if self.cols.seen_ts[c] > -np.inf}

    # -- passes -------------------------------------------------------------------
    def screen_jumps(self, b: Released) -> tuple[Bools, list[Alert]]:
        """Return which fixes of ``b`` to accept, and the GPS-jump alerts."""
        alerts: list[Alert] = []
        accepted = np.ones(len(b), dtype=bool)
        if not len(b):
            return accepted, alerts
        self.cols.ensure(len(self.plans))
        ts, lon, lat = b.ts, b.lon, b.lat
        g, k = self._groups(b.codes), self.cols
        o = g.order
        p_ts, p_lon, p_lat = (
            g.previous(ts, k.last_ts),
            g.previous(lon, k.last_lon),
            g.previous(lat, k.last_lat),
        )
        with np.errstate(invalid="ignore"):
            metres, seconds = haversine_m(p_lon, p_lat, lon[o], lat[o]), np.maximum(ts[o] - p_ts, MIN_DT_S)
            speed = np.where(p_ts > -np.inf, metres / seconds * 3.6, 0.0)
        bad = k.busy[g.group_codes].copy()
        bad[g.gid[speed > self.plans.max_speed_kmh[g.codes]]] = True
        for gi in np.flatnonzero(bad | self.force_slow_path):
            c = int(g.group_codes[gi])
            s = self._load(c)
            last = (s.last_ts, s.last_lon, s.last_lat, s.last_reading_id)
            limits = self.plans.limits(self.plans.ids[c])
            for i in o[g.starts[gi] : g.ends[gi]]:
                r = b.readings[i]
                if screen_fix(s, r, float(ts[i]), limits, last, alerts):
                    last = (float(ts[i]), r.lon, r.lat, b.ids[i])
                else:
                    accepted[i] = False
            self._store(c, s)
        return accepted, alerts

    def apply_rules(self, b: Released, rows: Ints, in_service: Bools, on_route: Bools) -> list[Alert]:
        """Per-fix rules over the accepted, in-order fixes ``rows`` of ``b``; advances their containers.

        ``in_service`` and ``on_route`` are per row.
        """
        alerts: list[Alert] = []
        if not len(rows):
            return alerts
        every = len(rows) == len(b) and np.array_equal(rows, np.arange(len(b)))  # the usual case
        codes = b.codes if every else b.codes[rows]
        g, k, pb = self._groups(codes), self.cols, self.plans
        o, gc = g.order, g.codes
        ro = rows[o]  # batch index of each fix, grouped by container
        ts, lon, lat = b.ts[rows], b.lon[rows], b.lat[rows]
        p_ts, p_lon, p_lat = (
            g.previous(ts, k.last_ts),
            g.previous(lon, k.last_lon),
            g.previous(lat, k.last_lat),
        )
        temp, shock_g, door = b.temp[ro], b.shock[ro], b.door[ro]
        moved = np.where(p_ts > -np.inf, haversine_m(p_lon, p_lat, lon[o], lat[o]), np.inf)
        svc = in_service[o]
        with np.errstate(invalid="ignore"):
            unusual = (
                ~on_route[o]
                | (door & ~svc)
                | (temp < pb.temp_low[gc])
                | (temp > pb.temp_high[gc])
                | (shock_g >= pb.shock_g[gc])
                | (~svc & (moved <= pb.stop_radius_m[gc]))
            )
        bad = k.busy[g.group_codes].copy()
        bad[g.gid[unusual]] = True
        bad |= self.force_slow_path
        quiet = ~bad
        c_q, i_q = g.group_codes[quiet], rows[g.last[quiet]]
        k.last_ts[c_q], k.last_lon[c_q], k.last_lat[c_q] = b.ts[i_q], b.lon[i_q], b.lat[i_q]
        k.last_rid[c_q], k.last_dev[c_q] = b.id_arr[i_q], b.devices[i_q]
        for gi in np.flatnonzero(bad):
            c = int(g.group_codes[gi])
            cid = pb.ids[c]
            s, limits, band = self._load(c), pb.limits(cid), pb.temp_band(cid)
            for j in range(g.starts[gi], g.ends[gi]):
                ctx = FixContext(in_service_zone=bool(svc[j]), on_route=bool(on_route[o[j]]))
                step(s, b.readings[ro[j]], float(ts[o[j]]), ctx, limits, band, alerts)
            self._store(c, s)
        return alerts

    def late_readings(self, readings: Iterable[Reading]) -> list[Alert]:
        """Late fixes never move state, but a shock is a shock whenever it is reported."""
        alerts: list[Alert] = []
        for r in readings:
            c = self.plans.code(r.container_id)
            self.cols.ensure(len(self.plans))
            g = r.shock_g
            if g is None or g < self.plans.shock_g[c]:
                continue
            s = self._load(c)
            shock(
                s,
                r,
                r.ts.timestamp(),
                reading_id(r.device_id, r.seq),
                self.plans.limits(r.container_id),
                alerts,
            )
            self._store(c, s)
        return alerts

    def on_geofence(self, events: Iterable[GeofenceEvent]) -> list[Alert]:
        alerts: list[Alert] = []
        for e in events:
            if e.zone_type is not ZoneType.RESTRICTED or e.kind not in (
                GeofenceKind.ENTER,
                GeofenceKind.CROSSED,
            ):
                continue
            how = "entered" if e.kind is GeofenceKind.ENTER else "passed through (between two fixes)"
            alert = make_alert(
                AlertKind.RESTRICTED_ZONE_ENTRY,
                container_id=e.container_id,
                device_id=e.device_id,
                ts=e.ts.timestamp(),
                lat=e.lat,
                lon=e.lon,
                summary=f"Container {how} restricted zone {e.zone_id}.",
                threshold={"zone_type": "restricted"},
                observed={"zone_id": e.zone_id, "geofence": e.kind.value},
                evidence=[e.reading_id, e.event_id],
            )
            alerts.append(alert)
        return alerts

    # -- signal loss ----------------------------------------------------------------
    def watch_signal(self, b: Released) -> list[Alert]:
        """Note every in-order reading of ``b`` as signal; raise the silences the batch itself reveals."""
        alerts: list[Alert] = []
        if not len(b):
            return alerts
        self.cols.ensure(len(self.plans))
        g, k = self._groups(b.codes), self.cols
        o = g.order
        t = b.ts[o]
        gaps = t - g.previous(b.ts, k.seen_ts) > self.plans.signal_limit_s[g.codes]
        for gi in np.unique(g.gid[gaps]):  # rare: walk these groups fix by fix
            c = int(g.group_codes[gi])
            for j in range(g.starts[gi], g.ends[gi]):
                if k.seen_ts[c] > -np.inf and t[j] - k.seen_ts[c] > self.plans.signal_limit_s[c]:
                    alerts.extend(self._silence(c))
                i = o[j]
                k.seen_ts[c], k.seen_lon[c], k.seen_lat[c], k.seen_rid[c] = t[j], b.lon[i], b.lat[i], b.ids[i]
                k.seen_dev[c] = b.devices[i]
        c_all, i_all = g.group_codes, g.last
        k.seen_ts[c_all], k.seen_lon[c_all], k.seen_lat[c_all] = b.ts[i_all], b.lon[i_all], b.lat[i_all]
        k.seen_rid[c_all], k.seen_dev[c_all] = b.id_arr[i_all], b.devices[i_all]
        return alerts

    def _silence(self, c: int) -> list[Alert]:
        k = self.cols
        if k.fired_for[c] == k.seen_ts[c]:
            return []
        k.fired_for[c] = k.seen_ts[c]
        limit, since = float(self.plans.signal_limit_s[c]), float(k.seen_ts[c])
        summary = (
            f"No signal for {minutes(limit)} after the last reading (limit {minutes(limit)}); "
            "last reported position shown."
        )
        alert = make_alert(
            AlertKind.SIGNAL_LOSS,
            container_id=self.plans.ids[c],
            device_id=str(k.seen_dev[c]),
            ts=since + limit,
            lat=float(k.seen_lat[c]),
            lon=float(k.seen_lon[c]),
            summary=summary,
            threshold={"silence_s": limit},
            observed={"silent_since": utc(since).isoformat()},
            evidence=[str(k.seen_rid[c])],
        )
        return [alert]

    def on_watermark(self, watermark: float) -> list[Alert]:
        """Raise signal loss for every container whose deadline device time has passed."""
        n = len(self.plans)
        self.cols.ensure(n)
        k = self.cols
        seen = k.seen_ts[:n]
        due = (
            (seen > -np.inf) & (seen + self.plans.signal_limit_s[:n] <= watermark) & (k.fired_for[:n] != seen)
        )
        return [a for c in np.flatnonzero(due) for a in self._silence(int(c))]
