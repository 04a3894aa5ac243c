"""GPS jump / spoofing filter: applied before geofences ever see a fix.

A fix that implies a speed above the class limit since the last accepted fix
is rejected and raises one alert per run of such fixes. If the "jumped" fixes
keep agreeing with each other for ``REACQUIRE_FIXES`` fixes, the tracker has
really moved (e.g. a box flown or a long-lost signal): the filter re-anchors
there rather than rejecting forever.
"""

from __future__ import annotations

from cargotrail.contract.ids import reading_id
from cargotrail.contract.records import Alert, AlertKind, Reading
from cargotrail.settings import Thresholds
from streams.processors.alerts import alert_at
from streams.processors.geo import haversine_m
from streams.processors.state import ContainerState

REACQUIRE_FIXES = 6
MIN_DT_S = 1.0  # two fixes stamped the same second still need a finite speed


def implied_speed_kmh(d_m: float, dt_s: float) -> float:
    return d_m / max(dt_s, MIN_DT_S) * 3.6


def screen_fix(
    state: ContainerState,
    r: Reading,
    ts: float,
    limits: Thresholds,
    last: tuple[float, float, float, str],
    out: list[Alert],
) -> bool:
    """Return whether to accept one fix; ``last`` is the last accepted (ts, lon, lat, id)."""
    last_ts, last_lon, last_lat, last_id = last
    if last_ts <= -1e18:
        return True
    speed = implied_speed_kmh(float(haversine_m(last_lon, last_lat, r.lon, r.lat)), ts - last_ts)
    if speed <= limits.max_speed_kmh:
        state.jump_open, state.jump_run = False, 0
        return True
    rid = reading_id(r.device_id, r.seq)
    if not state.jump_open:
        state.jump_open, state.jump_run = True, 1
        distance_km = float(haversine_m(last_lon, last_lat, r.lon, r.lat)) / 1000
        out.append(
            alert_at(
                AlertKind.GPS_JUMP,
                r,
                ts,
                summary=f"Fix {distance_km:.0f} km from the previous one implies {speed:.0f} km/h "
                f"(limit {limits.max_speed_kmh:.0f} km/h): GPS jump or spoofing; fix ignored for geofences.",
                threshold={"max_speed_kmh": limits.max_speed_kmh},
                observed={
                    "implied_speed_kmh": round(speed, 1),
                    "distance_km": round(distance_km, 1),
                    "seconds": ts - last_ts,
                },
                evidence=[last_id, rid],
            )
        )
    else:
        run_speed = implied_speed_kmh(
            float(haversine_m(state.jump_lon, state.jump_lat, r.lon, r.lat)), ts - state.jump_ts
        )
        state.jump_run = state.jump_run + 1 if run_speed <= limits.max_speed_kmh else 1
    state.jump_ts, state.jump_lon, state.jump_lat = ts, r.lon, r.lat
    if state.jump_run >= REACQUIRE_FIXES:
        state.jump_open, state.jump_run = False, 0
        return True
    return False
