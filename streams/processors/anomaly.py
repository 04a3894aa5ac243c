"""Anomaly detection over micro-batches, per container, in device time.

Two passes per batch, both vectorised over the batch with a per-container
slow path only where something is unusual:

1. ``screen_jumps`` rejects fixes that imply an impossible speed (before the
   geofence stage sees them).
2. ``apply_rules`` runs route deviation, unscheduled stop, door, temperature
   and shock rules on accepted fixes, using what the geofence stage found.

Signal loss is a timer: ``on_watermark`` raises it when device time has moved
on past a container's deadline, even if that container never reports again.
Restricted-zone entries come from geofence events (``on_geofence``).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from cargotrail.contract.ids import reading_id
from cargotrail.contract.records import Alert, AlertKind, GeofenceEvent, GeofenceKind, Reading, ZoneType
from streams.processors.alerts import make_alert, minutes, utc
from streams.processors.geo import haversine_m
from streams.processors.jumps import MIN_DT_S, screen_fix
from streams.processors.plans import PlanBook
from streams.processors.rules import FixContext, shock, step
from streams.processors.state import ContainerState

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


class _Groups:
    """A batch ordered by container (stable, so device-time order holds within each)."""

    def __init__(self, codes: Ints):
        self.order = np.argsort(codes, kind="stable")
        sc = codes[self.order]
        n = len(sc)
        self.first = np.ones(n, dtype=bool)
        self.first[1:] = sc[1:] != sc[:-1]
        self.gid = np.cumsum(self.first) - 1  # group of each position in ``order``
        self.starts = np.flatnonzero(self.first)
        self.ends = np.append(self.starts[1:], n)


def _float_field(readings: Sequence[Reading], name: str) -> Floats:
    return np.array([np.nan if (v := getattr(r, name)) is None else v for r in readings], dtype=np.float64)


class AnomalyProcessor:
    def __init__(self, plans: PlanBook):
        self.plans = plans
        self.state: dict[str, ContainerState] = {}
        self._deadlines: list[tuple[float, str, float]] = []  # (deadline, container, last_ts)
        self.force_slow_path = False  # tests hold the fast path to the reference

    def _state(self, container_id: str) -> ContainerState:
        s = self.state.get(container_id)
        if s is None:
            s = self.state[container_id] = ContainerState()
        return s

    def _previous(
        self, readings: Sequence[Reading], g: _Groups, ts: Floats, lon: Floats, lat: Floats
    ) -> tuple[Floats, Floats, Floats, list[ContainerState]]:
        """Previous accepted fix of every position in group order (from state for the first)."""
        o = g.order
        p_ts, p_lon, p_lat = np.roll(ts[o], 1), np.roll(lon[o], 1), np.roll(lat[o], 1)
        states = []
        for i in g.starts:
            s = self._state(readings[o[i]].container_id)
            states.append(s)
            p_ts[i], p_lon[i], p_lat[i] = s.last_ts, s.last_lon, s.last_lat
        return p_ts, p_lon, p_lat, states

    def screen_jumps(
        self, readings: Sequence[Reading], ts: Floats, lon: Floats, lat: Floats, codes: Ints
    ) -> tuple[Bools, list[Alert]]:
        """Return which fixes to accept, and the GPS-jump alerts."""
        alerts: list[Alert] = []
        accepted = np.ones(len(readings), dtype=bool)
        if not len(readings):
            return accepted, alerts
        g = _Groups(codes)
        o = g.order
        p_ts, p_lon, p_lat, states = self._previous(readings, g, ts, lon, lat)
        limit = np.array([self.plans.limits(readings[o[i]].container_id).max_speed_kmh for i in g.starts])
        dist = haversine_m(p_lon, p_lat, lon[o], lat[o])
        with np.errstate(invalid="ignore"):
            speed = np.where(p_ts > -1e18, dist / np.maximum(ts[o] - p_ts, MIN_DT_S) * 3.6, 0.0)
        bad = np.zeros(len(g.starts), dtype=bool)
        bad[g.gid[speed > limit[g.gid]]] = True
        for k, s in enumerate(states):
            if not (bad[k] or s.jump_open or self.force_slow_path):
                continue
            last = (s.last_ts, s.last_lon, s.last_lat, s.last_reading_id)
            limits = self.plans.limits(readings[o[g.starts[k]]].container_id)
            for i in o[g.starts[k] : g.ends[k]]:
                r = readings[i]
                if screen_fix(s, r, float(ts[i]), limits, last, alerts):
                    last = (float(ts[i]), r.lon, r.lat, reading_id(r.device_id, r.seq))
                else:
                    accepted[i] = False
        return accepted, alerts

    def apply_rules(
        self,
        readings: Sequence[Reading],
        ts: Floats,
        lon: Floats,
        lat: Floats,
        codes: Ints,
        in_service: Bools,
        on_route: Bools,
    ) -> list[Alert]:
        """Per-fix rules over accepted, in-order fixes; advances every container's state."""
        alerts: list[Alert] = []
        if not len(readings):
            return alerts
        g = _Groups(codes)
        o = g.order
        p_ts, p_lon, p_lat, states = self._previous(readings, g, ts, lon, lat)
        starts = g.starts
        ids = [readings[o[i]].container_id for i in starts]
        limits = [self.plans.limits(c) for c in ids]
        bands = [self.plans.temp_band(c) for c in ids]
        low = np.array([b[0] if b else -np.inf for b in bands])[g.gid]
        high = np.array([b[1] if b else np.inf for b in bands])[g.gid]
        shock_limit = np.array([x.shock_g for x in limits])[g.gid]
        radius = np.array([x.stop_radius_m for x in limits])[g.gid]
        rs = [readings[i] for i in o]
        temp, shock_g = _float_field(rs, "temperature_c"), _float_field(rs, "shock_g")
        door = np.fromiter((r.door_open is True for r in rs), dtype=bool, count=len(rs))
        moved = np.where(p_ts > -1e18, haversine_m(p_lon, p_lat, lon[o], lat[o]), np.inf)
        svc = in_service[o]
        with np.errstate(invalid="ignore"):
            unusual = (
                ~on_route[o]
                | (door & ~svc)
                | (temp < low)
                | (temp > high)
                | (shock_g >= shock_limit)
                | (~svc & (moved <= radius))
            )
        bad = np.zeros(len(starts), dtype=bool)
        bad[g.gid[unusual]] = True
        for k, s in enumerate(states):
            last = o[g.ends[k] - 1]
            if bad[k] or not s.quiet() or self.force_slow_path:
                for j in range(starts[k], g.ends[k]):
                    ctx = FixContext(in_service_zone=bool(svc[j]), on_route=bool(on_route[o[j]]))
                    step(s, rs[j], float(ts[o[j]]), ctx, limits[k], bands[k], alerts)
            else:
                r = readings[last]
                s.last_ts, s.last_lon, s.last_lat = float(ts[last]), r.lon, r.lat
                s.last_reading_id, s.last_device_id = reading_id(r.device_id, r.seq), r.device_id
            heapq.heappush(
                self._deadlines, (s.last_ts + self.plans.signal_limit_s(ids[k]), ids[k], s.last_ts)
            )
        return alerts

    def late_readings(self, readings: Iterable[Reading]) -> list[Alert]:
        """Late fixes never move state, but a shock is a shock whenever it is reported."""
        alerts: list[Alert] = []
        for r in readings:
            shock(
                self._state(r.container_id),
                r,
                r.ts.timestamp(),
                reading_id(r.device_id, r.seq),
                self.plans.limits(r.container_id),
                alerts,
            )
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
            alerts.append(
                make_alert(
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
            )
        return alerts

    def watch_signal(
        self,
        readings: Sequence[Reading],
        ts: Floats,
        lon: Floats,
        lat: Floats,
        codes: Ints,
        ids: Sequence[str],
    ) -> list[Alert]:
        """Note every in-order reading as signal; raise silences that the batch itself reveals.

        A silence is raised either here (the next reading came after the deadline) or
        by ``on_watermark`` (device time passed the deadline first): both build the
        same alert, so the outcome does not depend on micro-batch boundaries.
        """
        alerts: list[Alert] = []
        if not len(readings):
            return alerts
        g = _Groups(codes)
        o = g.order
        t = ts[o]
        states = [self._state(readings[o[i]].container_id) for i in g.starts]
        limits = np.array([self.plans.signal_limit_s(readings[o[i]].container_id) for i in g.starts])
        prev = np.roll(t, 1)
        prev[g.starts] = [s.seen_ts for s in states]
        gaps = np.zeros(len(g.starts), dtype=bool)
        gaps[g.gid[t - prev > limits[g.gid]]] = True
        for k, s in enumerate(states):
            cid = readings[o[g.starts[k]]].container_id
            # Only a group with a silence in it needs walking fix by fix.
            walk = range(g.starts[k], g.ends[k]) if gaps[k] else (g.ends[k] - 1,)
            for j in walk:
                if gaps[k] and s.seen_ts > -1e18 and t[j] - s.seen_ts > limits[k]:
                    self._silence(cid, s, float(limits[k]), alerts)
                i = o[j]
                s.seen_ts, s.seen_id, s.seen_lon, s.seen_lat = (
                    float(t[j]),
                    ids[i],
                    float(lon[i]),
                    float(lat[i]),
                )
                s.seen_device_id = readings[i].device_id
            heapq.heappush(self._deadlines, (s.seen_ts + float(limits[k]), cid, s.seen_ts))
        return alerts

    def _silence(self, container_id: str, s: ContainerState, limit: float, out: list[Alert]) -> None:
        if s.signal_fired_for == s.seen_ts:
            return
        s.signal_fired_for = s.seen_ts
        out.append(
            make_alert(
                AlertKind.SIGNAL_LOSS,
                container_id=container_id,
                device_id=s.seen_device_id,
                ts=s.seen_ts + limit,
                lat=s.seen_lat,
                lon=s.seen_lon,
                summary=f"No signal for {minutes(limit)} after the last reading (limit {minutes(limit)}); "
                "last reported position shown.",
                threshold={"silence_s": limit},
                observed={"silent_since": utc(s.seen_ts).isoformat()},
                evidence=[s.seen_id],
            )
        )

    def on_watermark(self, watermark: float) -> list[Alert]:
        """Raise signal loss for every container whose deadline device time has passed."""
        alerts: list[Alert] = []
        heap = self._deadlines
        while heap and heap[0][0] <= watermark:
            deadline, container_id, seen_ts = heapq.heappop(heap)
            s = self.state.get(container_id)
            if s is not None and s.seen_ts == seen_ts:  # else it reported since
                self._silence(container_id, s, deadline - seen_ts, alerts)
        return alerts
