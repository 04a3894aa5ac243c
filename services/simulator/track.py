"""Normal tracker output: position and sensors of many (container, fix) rows at once.

Contract: ``evaluate`` is a pure function of (world, schedule, seed, rows):
the same row always gives the same fix, whatever else is in the batch. Normal
fixes keep every anomaly rule quiet: they lie on the planned paths or in a
port, terminal, customs or depot zone; moving fixes go 30-80 km/h; door open
only in the depot; reefers at -18 +- 1 C; shock < 1.0 g (crane moves < 2.0 g).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.simulator import rng
from services.simulator.fleet import REEFER_SETPOINT_C
from services.simulator.geo import offset
from services.simulator.voyage import CUSTOMS, DEPOT, SEA, TERM_D, TERM_O, TRUCK_IN, TRUCK_OUT, Schedule
from services.simulator.world import World

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# rng streams: one per quantity, so adding a sensor never changes another's values
_S_JIT_N, _S_JIT_E, _S_HDOP, _S_NOISE_N, _S_NOISE_E, _S_TEMP, _S_HUM, _S_SHOCK, _S_SPEED, _S_BATT = range(
    10, 20
)
BATTERY_DRAIN_PCT_PER_H = 0.02


@dataclass
class Fixes:
    c: IntArray
    k: IntArray  # fix number of the device (seq = k + 1)
    t: FloatArray  # seconds since the simulation start
    v: IntArray  # voyage row
    phase: IntArray
    lat: FloatArray
    lon: FloatArray
    speed: FloatArray
    heading: FloatArray  # NaN while stationary
    hdop: FloatArray
    temp: FloatArray
    humidity: FloatArray
    shock: FloatArray
    battery: FloatArray
    door: BoolArray


def evaluate(
    w: World,
    s: Schedule,
    seed: int,
    reefer: BoolArray,
    c: IntArray,
    k: IntArray,
    t: FloatArray,
    interval_s: float,
) -> Fixes:
    v = s.voyage_at(c, t)
    ph = s.phase_at(v, t)
    b = s.bounds[v]
    n = len(c)
    lat, lon = np.empty(n), np.empty(n)
    speed, heading = np.zeros(n), np.full(n, np.nan)

    out, sea, back = ph == TRUCK_OUT, ph == SEA, ph == TRUCK_IN
    moving = out | sea | back
    el_out = t - b[:, 0]
    paused = np.clip(el_out - s.stop_at[v], 0.0, s.stop_s[v])
    dist = np.where(out, (el_out - paused) * s.v_truck[v], 0.0)
    dist = np.where(sea, (t - b[:, SEA]) * s.v_ship[v], dist)
    dist = np.where(back, (t - b[:, TRUCK_IN]) * s.v_truck[v], dist) / 3600.0
    pid = np.where(out, w.truck_path[s.depot_o[v]], np.where(sea, s.sea_pid[v], w.truck_path[s.depot_d[v]]))
    m = np.flatnonzero(moving)
    lat[m], lon[m], heading[m] = w.paths.locate(pid[m], dist[m], reverse=back[m])
    cruise = np.where(sea, s.v_ship[v], s.v_truck[v]) + rng.normal(seed, _S_SPEED, c, k)
    stopped = out & (paused > 0) & (paused < s.stop_s[v])
    speed[m] = np.where(stopped[m], 0.0, np.maximum(cruise[m], 5.0))
    heading[stopped] = np.nan

    dwell_lat = np.select(
        [ph == TERM_O, ph == TERM_D, ph == CUSTOMS],
        [w.berth_lat[s.origin[v]], w.berth_lat[s.dest[v]], w.customs_lat[s.dest[v]]],
        w.depot_lat[s.depot_d[v]],
    )
    dwell_lon = np.select(
        [ph == TERM_O, ph == TERM_D, ph == CUSTOMS],
        [w.berth_lon[s.origin[v]], w.berth_lon[s.dest[v]], w.customs_lon[s.dest[v]]],
        w.depot_lon[s.depot_d[v]],
    )
    d = np.flatnonzero(~moving)
    spot = s.number[v[d]] * 8 + ph[d]  # one parking spot per container, voyage and phase
    radius = np.select([ph[d] == CUSTOMS, ph[d] == DEPOT], [0.3, 0.5], 0.4)
    jn = (2 * rng.uniform(seed, _S_JIT_N, c[d], spot) - 1) * radius
    je = (2 * rng.uniform(seed, _S_JIT_E, c[d], spot) - 1) * radius
    lat[d], lon[d] = offset(dwell_lat[d], dwell_lon[d], jn, je)

    hdop = np.where(moving, 0.7, 1.0) + rng.uniform(seed, _S_HDOP, c, k) * np.where(moving, 0.8, 1.0)
    noise_km = 0.0025 * hdop  # a few metres of GPS noise, scaled by the dilution of precision
    lat, lon = offset(
        lat, lon, rng.normal(seed, _S_NOISE_N, c, k) * noise_km, rng.normal(seed, _S_NOISE_E, c, k) * noise_km
    )

    ambient = 27.0 - 0.3 * np.abs(lat) + 3.0 * np.sin(2 * np.pi * (t / 86400.0 + lon / 360.0))
    u_temp = rng.uniform(seed, _S_TEMP, c, k)
    temp = np.where(reefer[c], REEFER_SETPOINT_C + (2 * u_temp - 1) * 0.9, ambient + (u_temp - 0.5))
    humidity = np.where(reefer[c], 88.0, 60.0) + rng.uniform(seed, _S_HUM, c, k) * np.where(
        reefer[c], 6.0, 25.0
    )
    u_shock = rng.uniform(seed, _S_SHOCK, c, k)
    crane = ((ph == SEA) & (t - b[:, SEA] < interval_s)) | ((ph == TERM_D) & (t - b[:, TERM_D] < interval_s))
    shock = np.where(crane, 1.2 + 0.8 * u_shock, 0.15 + 0.85 * u_shock**3)
    battery = np.clip(
        100.0 - 25.0 * rng.uniform(seed, _S_BATT, c) - BATTERY_DRAIN_PCT_PER_H * t / 3600.0, 5.0, 100.0
    )
    door = (ph == DEPOT) & (s.door_from[v] <= t) & (t < s.door_to[v])
    return Fixes(c, k, t, v, ph, lat, lon, speed, heading, hdop, temp, humidity, shock, battery, door)


def fix_rows(
    phase: FloatArray, interval_s: float, w0: float, w1: float
) -> tuple[IntArray, IntArray, FloatArray]:
    """(container, fix number, time) of every fix in the window (w0, w1], containers in order.

    Fix ``k`` of container ``c`` is due at ``phase[c] + k * interval_s``; phases are in (0, interval].
    """
    kmin = np.maximum(np.floor((w0 - phase) / interval_s) + 1, 0).astype(np.int64)
    kmax = np.floor((w1 - phase) / interval_s).astype(np.int64)
    count = np.maximum(kmax - kmin + 1, 0)
    c = np.repeat(np.arange(len(phase)), count)
    start = np.repeat(np.cumsum(count) - count, count)
    k = np.repeat(kmin, count) + (np.arange(len(c)) - start)
    return c, k, phase[c] + k * interval_s
