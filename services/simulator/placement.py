"""Where and how each anomaly kind is injected, so that it trips its own rule and no other.

Contract: every ``place_*`` function takes a container and a ``Context`` and
returns an ``Anomaly`` (fix-level overrides plus its truth window, in seconds)
or None when this container offers no clean spot; it never mutates anything
but, for an unscheduled stop, the schedule row it stops. Positional anomalies
are placed at sea, at least 3 h from either berth, and every altered fix is
checked: outside all port/terminal/customs/depot circles, clear of restricted
zones (except the restricted-entry fixes themselves) and, between consecutive
fixes, under 200 km/h (unless it is a GPS jump).
"""

from __future__ import annotations

import numpy as np

from cargotrail.contract.records import AlertKind
from services.simulator.context import SEA_MARGIN_S, Anomaly, Context, H
from services.simulator.geo import haversine_km, offset, point_segment_km
from services.simulator.track import Fixes
from services.simulator.voyage import SEA, TRUCK_OUT

DEVIATION_KM = 100.0  # far beyond the 40 km half-corridor, whatever the geofence's projection error
OUTSIDE_KM = 60.0  # a fix this far from every plan lane is unambiguously off route
LATERAL_KMH = 90.0  # how fast a detour drifts sideways


def _window(ctx: Context, c: int, n_fix: int) -> tuple[int, Fixes] | None:
    """``n_fix`` consecutive mid-sea fixes (plus one either side for checks): (first fix number, fixes)."""
    found = ctx.sea_window(c, (n_fix + 1) * ctx.interval)
    if found is None:
        return None
    k0 = ctx.k_at(c, found[1]) + 1
    return k0, ctx.fixes(c, k0 - 1, k0 + n_fix)


def place_door(ctx: Context, c: int) -> Anomaly | None:
    n = int(ctx.rng.integers(1, 4))
    got = _window(ctx, c, n)
    if got is None or not ctx.clean(got[1].lat, got[1].lon):
        return None
    k0, fx = got
    return Anomaly(
        AlertKind.DOOR_OPEN_OUTSIDE_ZONE, c, (fx.t[1], fx.t[n]), {k0 + i: {"door": True} for i in range(n)}
    )


def place_shock(ctx: Context, c: int) -> Anomaly | None:
    got = _window(ctx, c, 1)
    if got is None:
        return None
    k0, fx = got
    return Anomaly(AlertKind.SHOCK, c, (fx.t[1], fx.t[1]), {k0: {"shock": float(ctx.rng.uniform(6.0, 12.0))}})


def place_temperature(ctx: Context, c: int) -> Anomaly | None:
    if not ctx.reefer[c]:
        return None
    n = max(round(ctx.rng.uniform(1 * H, 4 * H) / ctx.interval) + 1, int(np.ceil(1200 / ctx.interval)) + 2)
    got = _window(ctx, c, n + 2)
    if got is None:
        return None
    k0, fx = got
    fields: dict[int, dict[str, float | bool]] = {k0: {"temp": -16.2}, k0 + n + 1: {"temp": -16.6}}  # in band
    for i, temp in enumerate(ctx.rng.uniform(-8.0, 0.0, n).tolist()):
        fields[k0 + 1 + i] = {"temp": round(temp, 2)}
    return Anomaly(AlertKind.TEMPERATURE_EXCURSION, c, (fx.t[2], fx.t[n + 1]), fields)


def place_signal_loss(ctx: Context, c: int) -> Anomaly | None:
    gap = ctx.rng.uniform(3 * H, 8 * H)
    n = int(np.ceil(gap / ctx.interval))
    got = _window(ctx, c, n + 1)
    if got is None:
        return None
    k0, fx = got  # fix k0 is the last one before the gap, k0 + n + 1 the first after
    return Anomaly(AlertKind.SIGNAL_LOSS, c, (fx.t[1], fx.t[n + 2]), drop=(k0 + 1, k0 + n + 1))


def place_gps_jump(ctx: Context, c: int) -> Anomaly | None:
    n = int(ctx.rng.integers(1, 4))
    got = _window(ctx, c, n)
    if got is None:
        return None
    k0, fx = got
    dist, bearing = ctx.rng.uniform(300.0, 2000.0), np.radians(ctx.rng.uniform(0.0, 360.0))
    lat, lon = offset(fx.lat[1 : n + 1], fx.lon[1 : n + 1], dist * np.cos(bearing), dist * np.sin(bearing))
    if (np.abs(lat) > 75).any() or (np.abs(lon) > 179).any() or not ctx.clean(lat, lon):
        return None
    if (haversine_km(lat, lon, fx.lat[1 : n + 1], fx.lon[1 : n + 1]) < 300.0).any():
        return None
    fields = {k0 + i: {"lat": float(lat[i]), "lon": float(lon[i])} for i in range(n)}
    return Anomaly(AlertKind.GPS_JUMP, c, (fx.t[1], fx.t[n]), fields)


def _plan_segments(ctx: Context, v: int) -> list[tuple[float, float, float, float]]:
    w, s = ctx.world, ctx.sched
    segs = [(*w.graph.points[a], *w.graph.points[b]) for a, b in w.routes[int(s.sea_pid[v])].edges]
    for dep in (int(s.depot_o[v]), int(s.depot_d[v])):
        d = w.depots[dep]
        segs.append((d.lat, d.lon, *w.graph.points[d.port]))
    return segs


def place_deviation(ctx: Context, c: int) -> Anomaly | None:
    ramp = int(np.ceil(DEVIATION_KM / (LATERAL_KMH * ctx.interval / H)))
    hold = round(ctx.rng.uniform(2 * H, 4 * H) / ctx.interval) + 1
    n = 2 * ramp + hold
    got = _window(ctx, c, n)
    if got is None:
        return None
    k0, fx = got
    j = np.arange(n + 2)  # weight 0 at the untouched neighbours, ramps of ``ramp`` fixes, then a plateau
    weight = np.clip(np.minimum(j, n + 1 - j) / ramp, 0.0, 1.0)
    off = DEVIATION_KM * weight * (1.0 if ctx.rng.random() < 0.5 else -1.0)
    left = np.radians(np.nan_to_num(fx.heading) - 90.0)
    lat, lon = offset(fx.lat, fx.lon, off * np.cos(left), off * np.sin(left))
    far = np.abs(off) >= OUTSIDE_KM
    segs = _plan_segments(ctx, int(fx.v[1]))
    near = np.min([point_segment_km(lat, lon, *sg) for sg in segs], axis=0)
    if not far.any() or (near[far] < OUTSIDE_KM).any():
        return None
    if not ctx.clean(lat, lon) or not ctx.speeds_ok(lat, lon):
        return None
    truth = fx.t[far]
    fields = {k0 - 1 + j: {"lat": float(lat[j]), "lon": float(lon[j])} for j in range(1, n + 1)}
    return Anomaly(AlertKind.ROUTE_DEVIATION, c, (float(truth[0]), float(truth[-1])), fields)


def place_restricted(ctx: Context, c: int) -> Anomaly | None:
    s, w = ctx.sched, ctx.world
    rows = np.arange(s.first_row[c], s.first_row[c] + s.row_count[c])
    for v in ctx.rng.permutation(rows).tolist():
        edges = set(w.routes[int(s.sea_pid[v])].edges)
        for r in w.zones.restricted:
            if r.edge not in edges:
                continue
            lo = max(s.bounds[v, SEA] + SEA_MARGIN_S, 2 * H + 2 * ctx.interval)
            hi = min(s.bounds[v, SEA + 1] - SEA_MARGIN_S, ctx.horizon - 3 * H)
            if hi <= lo:
                continue
            fx = ctx.fixes(c, ctx.k_at(c, lo), ctx.k_at(c, hi) - 1)
            if not len(fx.t):  # the sea window holds no fix at this report interval
                continue
            gap = haversine_km(fx.lat, fx.lon, r.lat, r.lon)
            j = int(np.argmin(gap))
            n_in = int(ctx.rng.integers(1, 3))
            ramp = max(0, int(np.ceil(gap[j] / (100.0 * ctx.interval / H))) - 1)
            if j - ramp - 1 < 0 or j + n_in + ramp >= len(fx.t):
                continue
            jn, je = (ctx.rng.uniform(-0.5, 0.5, n_in) for _ in range(2))
            zlat, zlon = offset(np.full(n_in, r.lat), np.full(n_in, r.lon), jn, je)
            lat, lon = fx.lat.copy(), fx.lon.copy()
            lat[j : j + n_in], lon[j : j + n_in] = zlat, zlon
            for q in range(1, ramp + 1):  # partial detours either side, so no leg is too fast
                wgt = 1.0 - q / (ramp + 1)
                for idx in (j - q, j + n_in - 1 + q):
                    lat[idx] += wgt * (r.lat - lat[idx])
                    lon[idx] += wgt * (r.lon - lon[idx])
            span = slice(j - ramp - 1, j + n_in + ramp + 1)
            ramps = np.r_[j - ramp : j, j + n_in : j + n_in + ramp]
            if (haversine_km(lat[ramps], lon[ramps], r.lat, r.lon) <= r.radius_km + 1.0).any():
                continue
            if not ctx.speeds_ok(lat[span], lon[span]) or not ctx.clean(
                lat[span], lon[span], restricted_ok=True
            ):
                continue
            fields = {
                int(fx.k[i]): {"lat": float(lat[i]), "lon": float(lon[i])}
                for i in range(j - ramp, j + n_in + ramp)
            }
            return Anomaly(
                AlertKind.RESTRICTED_ZONE_ENTRY, c, (float(fx.t[j]), float(fx.t[j + n_in - 1])), fields
            )
    return None


def place_stop(ctx: Context, c: int) -> Anomaly | None:
    s, w = ctx.sched, ctx.world
    rows = np.arange(s.first_row[c], s.first_row[c] + s.row_count[c])
    stop = float(np.ceil(ctx.rng.uniform(3 * H, 6 * H)))
    for v in ctx.rng.permutation(rows).tolist():
        length = float(w.paths.length[w.truck_path[s.depot_o[v]]])
        t0 = float(s.bounds[v, TRUCK_OUT])
        at = float(np.ceil(ctx.rng.uniform(0.35, 0.65) * length / s.v_truck[v] * H))
        if length < 60.0 or t0 + at < 2 * H + 2 * ctx.interval or t0 + at + stop > ctx.horizon - 3 * H:
            continue
        lat, lon, _ = w.paths.locate(
            np.asarray([w.truck_path[s.depot_o[v]]]), np.asarray([at * s.v_truck[v] / H])
        )
        k0, k1 = ctx.k_at(c, t0 + at), ctx.k_at(c, t0 + at + stop) - 1
        if k1 - k0 < 2 or not ctx.clean(lat, lon):
            continue
        s.insert_stop(v, at, stop)
        t = ctx.phase[c] + np.asarray([k0, k1]) * ctx.interval
        return Anomaly(AlertKind.UNSCHEDULED_STOP, c, (float(t[0]), float(t[1])))
    return None


PLACERS = {
    AlertKind.UNSCHEDULED_STOP: place_stop,  # first: it shifts the schedule the others read
    AlertKind.ROUTE_DEVIATION: place_deviation,
    AlertKind.RESTRICTED_ZONE_ENTRY: place_restricted,
    AlertKind.GPS_JUMP: place_gps_jump,
    AlertKind.SIGNAL_LOSS: place_signal_loss,
    AlertKind.DOOR_OPEN_OUTSIDE_ZONE: place_door,
    AlertKind.TEMPERATURE_EXCURSION: place_temperature,
    AlertKind.SHOCK: place_shock,
}
