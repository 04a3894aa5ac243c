"""The static geography of a run: ports, depots, lanes, zones and the paths along them.

Contract: ``world()`` is built once per process (it depends on no seed) and is
read-only afterwards. Indices are stable: ports in locode order, depots in
``load_depots()`` order. ``sea_path[o, d]`` is the path id of the served route
from port ``o`` to port ``d`` (-1 when the pair is not served);
``truck_path[k]`` runs from depot ``k`` to its port's berth.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

from services.simulator.geo import densify
from services.simulator.paths import PathBook
from services.simulator.ports import load_depots, load_ports
from services.simulator.routing import LaneGraph, SeaRoute
from services.simulator.zones import ZoneBook, sea_corridor_id, truck_corridor_id

IntArray = npt.NDArray[np.int64]


class World:
    def __init__(self) -> None:
        self.ports = load_ports()
        self.depots = load_depots()
        self.graph = LaneGraph(self.ports)
        self.zones = ZoneBook(self.ports, self.depots, self.graph)
        self.port_index = {p.locode: i for i, p in enumerate(self.ports)}
        n = len(self.ports)
        self.paths = PathBook()
        self.routes: dict[int, SeaRoute] = {}
        self.sea_path = np.full((n, n), -1, dtype=np.int64)
        for (a, b), route in sorted(self.graph.routes.items()):
            pts = [self.graph.points[name] for name in route.nodes]
            lats, lons = densify([p[0] for p in pts], [p[1] for p in pts])
            pid = self.paths.add(lats, lons)
            self.sea_path[self.port_index[a], self.port_index[b]] = pid
            self.routes[pid] = route
        self.truck_path = np.zeros(len(self.depots), dtype=np.int64)
        for k, dp in enumerate(self.depots):
            berth = self.graph.points[dp.port]
            lats, lons = densify([dp.lat, berth[0]], [dp.lon, berth[1]], max_step_km=5.0)
            self.truck_path[k] = self.paths.add(lats, lons)
        self.paths.freeze()
        self.depot_port = np.asarray([self.port_index[d.port] for d in self.depots], dtype=np.int64)
        # padded per-port choice tables, so destinations and depots are drawn for all containers at once
        self.dest_count = (self.sea_path >= 0).sum(axis=1)
        self.dest_table = np.zeros((n, max(int(self.dest_count.max()), 1)), dtype=np.int64)
        for o in range(n):
            ds = np.flatnonzero(self.sea_path[o] >= 0)
            self.dest_table[o, : len(ds)] = ds
        per_port = [np.flatnonzero(self.depot_port == o) for o in range(n)]
        self.depot_count = np.asarray([len(x) for x in per_port], dtype=np.int64)
        self.depot_table = np.zeros((n, int(self.depot_count.max())), dtype=np.int64)
        for o, ks in enumerate(per_port):
            self.depot_table[o, : len(ks)] = ks
        self.berth_lat = np.asarray([p.berth_lat for p in self.ports])
        self.berth_lon = np.asarray([p.berth_lon for p in self.ports])
        self.customs_lat = np.asarray([self.zones.customs[p.locode][0] for p in self.ports])
        self.customs_lon = np.asarray([self.zones.customs[p.locode][1] for p in self.ports])
        self.depot_lat = np.asarray([d.lat for d in self.depots])
        self.depot_lon = np.asarray([d.lon for d in self.depots])
        self._truck_ids = [truck_corridor_id(d) for d in self.depots]

    def corridor_ids(self, depot_o: int, sea_pid: int, depot_d: int) -> list[str]:
        """The plan's corridors: truck leg out, every sea lane edge, truck leg in."""
        return [self._truck_ids[depot_o], *self._sea_ids(sea_pid), self._truck_ids[depot_d]]

    @cache  # noqa: B019 - the world lives as long as the process; shared id strings keep 100k plans small
    def _sea_ids(self, sea_pid: int) -> tuple[str, ...]:
        return tuple(sea_corridor_id(e) for e in self.routes[sea_pid].edges)


@cache
def world() -> World:
    return World()
