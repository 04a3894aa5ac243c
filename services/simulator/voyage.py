"""Voyage schedules: every container's itinerary up to the horizon, built vectorised.

One voyage is seven phases, in this order (``bounds[v, p]`` is when phase ``p``
starts, ``bounds[v, 7]`` when the voyage ends and the next one starts):

0. ``TRUCK_OUT``  depot -> origin berth, 60-80 km/h (gate-in RFID ``arriving`` at its end)
1. ``TERM_O``     in the origin terminal, 4-48 h, door closed (``loading`` RFID at its end)
2. ``SEA``        berth to berth along the lanes at 30-40 km/h (``unloading`` RFID at its end)
3. ``TERM_D``     in the destination terminal, 4-36 h
4. ``CUSTOMS``    in the customs yard for 2-20 h (``inspecting``), for 15 % of voyages; else 0 s
5. ``TRUCK_IN``   destination berth -> depot (gate-out RFID ``departing`` at its start)
6. ``DEPOT``      8-60 h at the depot; the door is open for 1-4 h early on (authorised)

The next voyage leaves from that depot, so a container's track is continuous.
The first voyage starts before the simulation does, at a random point (60 %
anywhere in the voyage, 40 % before it puts to sea), so that at any moment
some boxes are at sea, some in port and some on trucks. All times are whole
seconds relative to the simulation start. Rows are sorted by container, then
time. ``insert_stop`` is how an unscheduled truck stop delays everything after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.simulator.world import World

TRUCK_OUT, TERM_O, SEA, TERM_D, CUSTOMS, TRUCK_IN, DEPOT = range(7)
N_PHASES = 7
H = 3600.0
CUSTOMS_SHARE = 0.15

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass
class Schedule:
    cont: IntArray  # container index per voyage row
    number: IntArray  # voyage number within its container (0 = the one under way at the start)
    bounds: FloatArray  # (rows, 8) phase start times, s
    origin: IntArray
    dest: IntArray
    depot_o: IntArray
    depot_d: IntArray
    sea_pid: IntArray
    v_truck: FloatArray  # km/h
    v_ship: FloatArray  # km/h
    stop_at: FloatArray  # seconds into TRUCK_OUT when an (injected) stop begins
    stop_s: FloatArray  # its length (0: none)
    door_from: FloatArray
    door_to: FloatArray
    first_row: IntArray  # per container: its first voyage row
    row_count: IntArray  # per container: how many voyage rows

    def voyage_at(self, c: IntArray, t: FloatArray) -> IntArray:
        """The voyage row of container ``c`` at time ``t`` (the last one started at or before ``t``)."""
        v = self.first_row[c].copy()
        end = self.first_row[c] + self.row_count[c]
        for _ in range(int(self.row_count.max()) - 1):
            nxt = np.minimum(v + 1, len(self.cont) - 1)
            step = (v + 1 < end) & (self.bounds[nxt, 0] <= t)
            if not step.any():
                break
            v = v + step
        return v

    def phase_at(self, v: IntArray, t: FloatArray) -> IntArray:
        started: IntArray = (self.bounds[v, 1:N_PHASES] <= t[:, None]).sum(axis=1)
        return started

    def insert_stop(self, row: int, at_s: float, stop_s: float) -> None:
        """Stop the outbound truck of voyage ``row`` ``at_s`` into the leg for ``stop_s``; shift the rest."""
        c = self.cont[row]
        self.stop_at[row], self.stop_s[row] = at_s, stop_s
        self.bounds[row, 1:] += stop_s
        later = (self.cont == c) & (np.arange(len(self.cont)) > row)
        self.bounds[later] += stop_s
        for arr in (self.door_from, self.door_to):
            arr[row] += stop_s
            arr[later] += stop_s


def build_schedule(w: World, n: int, seed: int, horizon_s: float) -> Schedule:
    rng = np.random.default_rng([seed, 2])
    n_ports = len(w.ports)
    origin = rng.integers(0, n_ports, size=n)
    depot_o = w.depot_table[origin, (rng.random(n) * w.depot_count[origin]).astype(np.int64)]
    cursor = np.zeros(n)
    active = np.arange(n)
    parts: list[dict[str, npt.NDArray[np.generic]]] = []
    number = 0
    while active.size:
        m = active.size
        o, dep_o = origin[active], depot_o[active]
        d = w.dest_table[o, (rng.random(m) * w.dest_count[o]).astype(np.int64)]
        dep_d = w.depot_table[d, (rng.random(m) * w.depot_count[d]).astype(np.int64)]
        pid = w.sea_path[o, d]
        v_truck, v_ship = rng.uniform(60.0, 80.0, m), rng.uniform(30.0, 40.0, m)
        dur = np.empty((m, N_PHASES))
        dur[:, TRUCK_OUT] = w.paths.length[w.truck_path[dep_o]] / v_truck * H
        dur[:, TERM_O] = rng.uniform(4 * H, 48 * H, m)
        dur[:, SEA] = w.paths.length[pid] / v_ship * H
        dur[:, TERM_D] = rng.uniform(4 * H, 36 * H, m)
        dur[:, CUSTOMS] = np.where(rng.random(m) < CUSTOMS_SHARE, rng.uniform(2 * H, 20 * H, m), 0.0)
        dur[:, TRUCK_IN] = w.paths.length[w.truck_path[dep_d]] / v_truck * H
        dur[:, DEPOT] = rng.uniform(8 * H, 60 * H, m)
        dur = np.ceil(dur)
        if number == 0:
            before_sea = rng.random(m) < 0.4
            span = np.where(before_sea, dur[:, :SEA].sum(axis=1), dur.sum(axis=1))
            start = -np.floor(rng.random(m) * span)
        else:
            start = cursor[active]
        bounds = start[:, None] + np.concatenate((np.zeros((m, 1)), np.cumsum(dur, axis=1)), axis=1)
        door_from = bounds[:, DEPOT] + np.ceil(rng.uniform(0.5 * H, 2 * H, m))
        door_to = door_from + np.ceil(rng.uniform(1 * H, 4 * H, m))
        parts.append(
            {
                "cont": active,
                "number": np.full(m, number),
                "bounds": bounds,
                "origin": o,
                "dest": d,
                "depot_o": dep_o,
                "depot_d": dep_d,
                "sea_pid": pid,
                "v_truck": v_truck,
                "v_ship": v_ship,
                "door_from": door_from,
                "door_to": door_to,
            }
        )
        cursor[active] = bounds[:, N_PHASES]
        origin[active], depot_o[active] = d, dep_d
        active = active[bounds[:, N_PHASES] < horizon_s]
        number += 1
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((cols["number"], cols["cont"]))
    cols = {k: v[order] for k, v in cols.items()}
    counts = np.bincount(cols["cont"], minlength=n)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rows = len(order)
    return Schedule(
        cols["cont"],
        cols["number"],
        cols["bounds"],
        cols["origin"],
        cols["dest"],
        cols["depot_o"],
        cols["depot_d"],
        cols["sea_pid"],
        cols["v_truck"],
        cols["v_ship"],
        np.zeros(rows),
        np.zeros(rows),
        cols["door_from"],
        cols["door_to"],
        first.astype(np.int64),
        counts.astype(np.int64),
    )
