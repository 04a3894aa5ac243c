"""Sea routes over the lane graph, and the served port pairs.

Contract:

* ``LaneGraph.route(a, b)`` is the shortest path (Dijkstra, km) from berth
  ``a`` to berth ``b`` that never passes through a third port's berth, or None.
* A pair is *served* when a route exists, is at least ``MIN_SEA_KM`` long (no
  container sails across one bay), and is not a trans-Pacific pair: one port in
  the Americas (lon < -30) and the other east of 60 E whose route is more than
  ``MAX_DETOUR`` times the great circle. The graph has no trans-Pacific lane,
  because one would have to cross the antimeridian, so such pairs (US West
  Coast, Mexico, Panama and New York <-> East Asia and Australia) could only
  sail round half the world; they are left out. Long routes that are real
  (Europe <-> Asia via Suez, Santos <-> Asia via the Cape) stay.
* Edge keys are the two waypoint names sorted, so a corridor id does not depend
  on the direction of travel.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass
from functools import cached_property

from services.simulator.geo import haversine_km
from services.simulator.lane_data import LANES, WAYPOINTS
from services.simulator.ports import Port

MIN_SEA_KM = 300.0
MAX_DETOUR = 2.0

EdgeKey = tuple[str, str]


def edge_key(a: str, b: str) -> EdgeKey:
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True)
class SeaRoute:
    origin: str
    destination: str
    nodes: tuple[str, ...]
    length_km: float

    @property
    def edges(self) -> tuple[EdgeKey, ...]:
        return tuple(edge_key(a, b) for a, b in itertools.pairwise(self.nodes))


class LaneGraph:
    """The waypoint graph with the ports' berths as extra nodes."""

    def __init__(self, ports: tuple[Port, ...]) -> None:
        self.ports = {p.locode: p for p in ports}
        self.points: dict[str, tuple[float, float]] = dict(WAYPOINTS)
        self.points.update({p.locode: (p.berth_lat, p.berth_lon) for p in ports})
        self.adj: dict[str, dict[str, float]] = {name: {} for name in self.points}
        for chain in LANES:
            for a, b in itertools.pairwise(chain):
                (la1, lo1), (la2, lo2) = self.points[a], self.points[b]
                w = float(haversine_km(la1, lo1, la2, lo2))
                self.adj[a][b] = w
                self.adj[b][a] = w

    def route(self, origin: str, destination: str) -> SeaRoute | None:
        """Dijkstra from berth to berth; other ports' berths are dead ends."""
        dist: dict[str, float] = {origin: 0.0}
        prev: dict[str, str] = {}
        heap: list[tuple[float, str]] = [(0.0, origin)]
        while heap:
            d, node = heapq.heappop(heap)
            if node == destination:
                break
            if d > dist.get(node, float("inf")) or (node != origin and node in self.ports):
                continue
            for nxt, w in sorted(self.adj[node].items()):  # sorted: ties resolve the same way every run
                nd = d + w
                if nd < dist.get(nxt, float("inf")):
                    dist[nxt] = nd
                    prev[nxt] = node
                    heapq.heappush(heap, (nd, nxt))
        if destination not in dist:
            return None
        nodes = [destination]
        while nodes[-1] != origin:
            nodes.append(prev[nodes[-1]])
        return SeaRoute(origin, destination, tuple(reversed(nodes)), dist[destination])

    def served(self, route: SeaRoute) -> bool:
        a, b = self.ports[route.origin], self.ports[route.destination]
        gc = float(haversine_km(a.berth_lat, a.berth_lon, b.berth_lat, b.berth_lon))
        transpacific = min(a.lon, b.lon) < -30.0 and max(a.lon, b.lon) > 60.0
        return route.length_km >= MIN_SEA_KM and not (transpacific and route.length_km > MAX_DETOUR * gc)

    @cached_property
    def routes(self) -> dict[tuple[str, str], SeaRoute]:
        """Every served ordered pair -> its route (deterministic, computed once)."""
        out: dict[tuple[str, str], SeaRoute] = {}
        codes = sorted(self.ports)
        for a in codes:
            for b in codes:
                if a == b:
                    continue
                r = self.route(a, b)
                if r is not None and self.served(r):
                    out[(a, b)] = r
        return out

    @cached_property
    def used_edges(self) -> tuple[EdgeKey, ...]:
        """Edges on at least one served route, sorted: one corridor zone each."""
        return tuple(sorted({e for r in self.routes.values() for e in r.edges}))
