"""The anomaly rules, one fix at a time: the reference semantics.

``step`` is exact and simple; ``AnomalyProcessor`` calls it only for the
containers whose batch holds something unusual, and skips ahead for the rest
(a test holds the two paths to the same output).
"""

from __future__ import annotations

from dataclasses import dataclass

from cargotrail.contract.ids import reading_id
from cargotrail.contract.records import Alert, AlertKind, Reading
from cargotrail.settings import Thresholds
from streams.processors.alerts import alert_at, minutes
from streams.processors.geo import haversine_m
from streams.processors.state import ContainerState


@dataclass(frozen=True, slots=True)
class FixContext:
    """What the geofence stage learned about one fix."""

    in_service_zone: bool  # inside a port, terminal, customs area or depot
    on_route: bool  # inside its plan's corridor or a service zone (True when it has no plan)


def step(
    state: ContainerState,
    r: Reading,
    ts: float,
    ctx: FixContext,
    limits: Thresholds,
    temp_band: tuple[float, float] | None,
    out: list[Alert],
) -> None:
    """Apply every per-fix rule to one accepted, in-order fix and advance the state."""
    rid = reading_id(r.device_id, r.seq)
    moved = (
        float(haversine_m(state.last_lon, state.last_lat, r.lon, r.lat)) if state.last_ts > -1e18 else 1e12
    )
    _route(state, r, ts, rid, ctx, limits, out)
    _stop(state, r, ts, rid, ctx, limits, moved, out)
    _door(state, r, ts, rid, ctx, out)
    _temperature(state, r, ts, rid, temp_band, limits, out)
    shock(state, r, ts, rid, limits, out)
    state.last_ts, state.last_lon, state.last_lat, state.last_reading_id = ts, r.lon, r.lat, rid
    state.last_device_id = r.device_id


def _route(
    state: ContainerState,
    r: Reading,
    ts: float,
    rid: str,
    ctx: FixContext,
    limits: Thresholds,
    out: list[Alert],
) -> None:
    if ctx.on_route:
        state.outside_since, state.deviation_fired = None, False
        return
    if state.outside_since is None:
        state.outside_since, state.outside_evidence = ts, rid
    away = ts - state.outside_since
    if not state.deviation_fired and away >= limits.deviation_s:
        state.deviation_fired = True
        out.append(
            alert_at(
                AlertKind.ROUTE_DEVIATION,
                r,
                ts,
                summary=f"Outside its planned route corridor for {minutes(away)} "
                f"(limit {minutes(limits.deviation_s)}).",
                threshold={"outside_corridor_s": limits.deviation_s},
                observed={"outside_corridor_s": away},
                evidence=[state.outside_evidence, rid],
            )
        )


def _stop(
    state: ContainerState,
    r: Reading,
    ts: float,
    rid: str,
    ctx: FixContext,
    limits: Thresholds,
    moved: float,
    out: list[Alert],
) -> None:
    if ctx.in_service_zone:
        state.stop_since, state.stop_fired = None, False
        return
    if state.stop_since is not None:
        drift = float(haversine_m(state.stop_lon, state.stop_lat, r.lon, r.lat))
        if drift > limits.stop_radius_m:
            state.stop_since, state.stop_fired = None, False
    if state.stop_since is None:
        if moved > limits.stop_radius_m:
            return
        # The stop began at the previous fix, which this one has not left.
        state.stop_since, state.stop_evidence = state.last_ts, state.last_reading_id
        state.stop_lon, state.stop_lat = state.last_lon, state.last_lat
    stopped = ts - state.stop_since
    if not state.stop_fired and stopped >= limits.stop_s:
        state.stop_fired = True
        out.append(
            alert_at(
                AlertKind.UNSCHEDULED_STOP,
                r,
                ts,
                summary="Stationary outside any port, terminal, customs area or depot "
                f"for {minutes(stopped)} "
                f"(limit {minutes(limits.stop_s)}, radius {limits.stop_radius_m:.0f} m).",
                threshold={"stationary_s": limits.stop_s, "radius_m": limits.stop_radius_m},
                observed={"stationary_s": stopped},
                evidence=[state.stop_evidence, rid],
            )
        )


def _door(state: ContainerState, r: Reading, ts: float, rid: str, ctx: FixContext, out: list[Alert]) -> None:
    if not r.door_open or ctx.in_service_zone:
        state.door_open = False
        return
    if state.door_open:
        return
    state.door_open = True
    out.append(
        alert_at(
            AlertKind.DOOR_OPEN_OUTSIDE_ZONE,
            r,
            ts,
            summary="Door opened outside an authorised zone (port, terminal, customs area or depot).",
            threshold={"authorised_zones": "port, terminal, customs, depot"},
            observed={"door_open": "true", "lat": r.lat, "lon": r.lon},
            evidence=[rid],
        )
    )


def _temperature(
    state: ContainerState,
    r: Reading,
    ts: float,
    rid: str,
    band: tuple[float, float] | None,
    limits: Thresholds,
    out: list[Alert],
) -> None:
    t = r.temperature_c
    if band is None or t is None:
        return
    low, high = band
    if low <= t <= high:
        state.temp_since, state.temp_fired = None, False
        return
    if state.temp_since is None:
        state.temp_since, state.temp_evidence = ts, rid
    lasted = ts - state.temp_since
    if not state.temp_fired and lasted >= limits.temp_grace_s:
        state.temp_fired = True
        out.append(
            alert_at(
                AlertKind.TEMPERATURE_EXCURSION,
                r,
                ts,
                summary=f"Reefer at {t:.1f} °C, outside its band {low:.0f}..{high:.0f} °C "
                f"for {minutes(lasted)} "
                f"(grace {minutes(limits.temp_grace_s)}).",
                threshold={"min_c": low, "max_c": high, "grace_s": limits.temp_grace_s},
                observed={"temperature_c": t, "out_of_band_s": lasted},
                evidence=[state.temp_evidence, rid],
            )
        )


SHOCK_COOLDOWN_S = 1800.0


def shock(
    state: ContainerState, r: Reading, ts: float, rid: str, limits: Thresholds, out: list[Alert]
) -> None:
    """Stateless but for a cooldown, so it also runs on late readings."""
    g = r.shock_g
    if g is None or g < limits.shock_g or abs(ts - state.last_shock_ts) < SHOCK_COOLDOWN_S:
        return
    state.last_shock_ts = ts
    out.append(
        alert_at(
            AlertKind.SHOCK,
            r,
            ts,
            summary=f"Shock of {g:.1f} g (limit {limits.shock_g:.1f} g for this container class).",
            threshold={"shock_g": limits.shock_g},
            observed={"shock_g": g},
            evidence=[rid],
        )
    )
