"""The simulator's geofences, as the GeoJSON the ``geofence`` package reads.

Contract of ``ZoneBook.geojson()``: a FeatureCollection; each Feature's
``properties`` has ``id`` (unique, stable across runs and seeds), ``name``,
``type`` (a ``ZoneType`` value) and, where it applies, ``dwell_limit_s`` and
``locode`` (the port the zone belongs to; a depot carries the port it trucks
to), plus ``radius_m`` for a Point geometry (a circle) or ``width_m`` for a
LineString (a corridor of that total width), as ``geofence.zones`` reads them.
Coordinates are [lon, lat].

Per port: ``port:<LOCODE>`` (circle round the UN/LOCODE point, large enough to
hold the berth with margin, see ``ports.py``), ``terminal:<LOCODE>:T1`` (circle
round the berth) and ``customs:<LOCODE>`` (bonded area inside the port, dwell
limit 72 h). Per depot ``depot:<DEPOT-ID>``. One ``corridor:sea:<A>:<B>`` per
lane edge used by a served route (A < B) and one ``corridor:truck:<DEPOT-ID>``
per truck leg. ``restricted:<NAME>`` circles sit inside a sea corridor, their
edge at least ``RESTRICTED_CLEARANCE_KM`` from every normal track (checked at
construction), so normal cargo never enters them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from cargotrail.contract.records import ZoneType
from services.simulator.geo import haversine_km, offset, point_segment_km
from services.simulator.ports import Depot, Port
from services.simulator.routing import EdgeKey, LaneGraph

PORT_MIN_RADIUS_KM = 12.0
TERMINAL_RADIUS_KM = 2.5
CUSTOMS_RADIUS_KM = 1.0
CUSTOMS_OFFSET_KM = 4.0  # customs yard this far south-east of the berth: outside the terminal circle
CUSTOMS_DWELL_LIMIT_S = 72 * 3600.0
DEPOT_RADIUS_KM = 3.0
SEA_CORRIDOR_WIDTH_KM = 80.0
TRUCK_CORRIDOR_WIDTH_KM = 6.0
RESTRICTED_CLEARANCE_KM = 10.0

# (name, lane edge, fraction along it, offset to the left (+) or right (-) of a->b in km, radius km).
# Placed on open water beside busy lanes; 22 km + 4 km stays well inside the 40 km half-corridor.
_RESTRICTED: list[tuple[str, EdgeKey, float, float, float]] = [
    ("CHANNEL-EXERCISE-AREA", ("CHANNEL_M", "CHANNEL_W"), 0.5, -22.0, 4.0),
    ("PORTUGAL-NAVAL-AREA", ("FINISTERRE", "PORTUGAL"), 0.5, 22.0, 4.0),
    ("RED-SEA-NAVAL-AREA", ("RED_C", "RED_N"), 0.5, 22.0, 4.0),
    ("GULF-OF-ADEN-NAVAL-AREA", ("ADEN", "ADEN_E"), 0.5, 22.0, 4.0),
    ("MALACCA-NAVAL-AREA", ("MALACCA_C", "MALACCA_N"), 0.5, 20.0, 3.0),
    ("SOUTH-CHINA-SEA-EXERCISE-AREA", ("VN_C", "VN_S"), 0.5, -22.0, 4.0),
    ("ARABIAN-SEA-NAVAL-AREA", ("ARABIAN_W", "SOCOTRA_N"), 0.5, 22.0, 5.0),
    ("MED-EXERCISE-AREA", ("ALGERIA", "GATA"), 0.5, 22.0, 4.0),
]


@dataclass(frozen=True)
class Restricted:
    zone_id: str
    name: str
    lat: float
    lon: float
    radius_km: float
    edge: EdgeKey


def sea_corridor_id(edge: EdgeKey) -> str:
    return f"corridor:sea:{edge[0]}:{edge[1]}"


def truck_corridor_id(depot: Depot) -> str:
    return f"corridor:truck:{depot.depot_id}"


class ZoneBook:
    """All zones, with the positions the voyage planner needs (berths, customs yards, depots)."""

    def __init__(self, ports: tuple[Port, ...], depots: tuple[Depot, ...], graph: LaneGraph) -> None:
        self.ports = ports
        self.depots = depots
        self.graph = graph
        self.port_radius_km = {
            p.locode: max(
                PORT_MIN_RADIUS_KM, float(haversine_km(p.lat, p.lon, p.berth_lat, p.berth_lon)) + 6.0
            )
            for p in ports
        }
        d = CUSTOMS_OFFSET_KM / 2**0.5
        self.customs = {p.locode: _pair(offset(p.berth_lat, p.berth_lon, -d, d)) for p in ports}
        self.restricted = tuple(self._place(*spec) for spec in _RESTRICTED)
        self._check_clearance()

    def _place(self, name: str, edge: EdgeKey, frac: float, left_km: float, radius_km: float) -> Restricted:
        (la1, lo1), (la2, lo2) = self.graph.points[edge[0]], self.graph.points[edge[1]]
        lat, lon = la1 + frac * (la2 - la1), lo1 + frac * (lo2 - lo1)
        # unit normal to the left of a->b in local km
        east = (lo2 - lo1) * haversine_km(lat, 0.0, lat, 1.0)
        north = (la2 - la1) * haversine_km(0.0, 0.0, 1.0, 0.0)
        norm = float((east**2 + north**2) ** 0.5)
        clat, clon = _pair(offset(lat, lon, left_km * east / norm, -left_km * north / norm))
        return Restricted(f"restricted:{name}", name.replace("-", " ").title(), clat, clon, radius_km, edge)

    def _check_clearance(self) -> None:
        """Every restricted circle clears every normal track by the margin (a construction bug otherwise)."""
        segments = [(self.graph.points[a], self.graph.points[b]) for a, b in self.graph.used_edges]
        segments += [((dp.lat, dp.lon), self._berth(dp.port)) for dp in self.depots]
        for r in self.restricted:
            for (la1, lo1), (la2, lo2) in segments:
                gap = float(point_segment_km(r.lat, r.lon, la1, lo1, la2, lo2)) - r.radius_km
                if gap < RESTRICTED_CLEARANCE_KM:
                    raise AssertionError(f"{r.zone_id} is {gap:.1f} km from a normal track")

    def _berth(self, locode: str) -> tuple[float, float]:
        return self.graph.points[locode]

    @cached_property
    def depot_by_port(self) -> dict[str, tuple[Depot, ...]]:
        return {p.locode: tuple(d for d in self.depots if d.port == p.locode) for p in self.ports}

    def geojson(self) -> dict[str, Any]:
        feats: list[dict[str, Any]] = []
        for p in self.ports:
            feats.append(
                _circle(
                    f"port:{p.locode}",
                    f"Port of {p.name}",
                    ZoneType.PORT,
                    p.lat,
                    p.lon,
                    self.port_radius_km[p.locode],
                    locode=p.locode,
                )
            )
            feats.append(
                _circle(
                    f"terminal:{p.locode}:T1",
                    f"{p.name} container terminal 1",
                    ZoneType.TERMINAL,
                    p.berth_lat,
                    p.berth_lon,
                    TERMINAL_RADIUS_KM,
                    locode=p.locode,
                )
            )
            clat, clon = self.customs[p.locode]
            feats.append(
                _circle(
                    f"customs:{p.locode}",
                    f"{p.name} customs bonded area",
                    ZoneType.CUSTOMS,
                    clat,
                    clon,
                    CUSTOMS_RADIUS_KM,
                    locode=p.locode,
                    dwell_limit_s=CUSTOMS_DWELL_LIMIT_S,
                )
            )
        for dp in self.depots:
            feats.append(
                _circle(
                    f"depot:{dp.depot_id}",
                    f"{dp.name} inland depot",
                    ZoneType.DEPOT,
                    dp.lat,
                    dp.lon,
                    DEPOT_RADIUS_KM,
                    locode=dp.port,
                )
            )
            blat, blon = self._berth(dp.port)
            feats.append(
                _line(
                    truck_corridor_id(dp),
                    f"Truck corridor {dp.name} - {dp.port}",
                    [(dp.lat, dp.lon), (blat, blon)],
                    TRUCK_CORRIDOR_WIDTH_KM,
                )
            )
        for edge in self.graph.used_edges:
            pts = [self.graph.points[edge[0]], self.graph.points[edge[1]]]
            feats.append(
                _line(sea_corridor_id(edge), f"Sea lane {edge[0]} - {edge[1]}", pts, SEA_CORRIDOR_WIDTH_KM)
            )
        for r in self.restricted:
            feats.append(_circle(r.zone_id, r.name, ZoneType.RESTRICTED, r.lat, r.lon, r.radius_km))
        return {"type": "FeatureCollection", "features": feats}


def _pair(xy: tuple[Any, Any]) -> tuple[float, float]:
    return float(xy[0]), float(xy[1])


def _circle(
    zid: str, name: str, ztype: ZoneType, lat: float, lon: float, radius_km: float, **extra: float | str
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": zid,
        "name": name,
        "type": ztype.value,
        **extra,
        "radius_m": round(radius_km * 1000.0, 1),
    }
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
    }


def _line(zid: str, name: str, pts: list[tuple[float, float]], width_km: float) -> dict[str, Any]:
    props = {"id": zid, "name": name, "type": ZoneType.CORRIDOR.value, "width_m": width_km * 1000.0}
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "LineString", "coordinates": [[round(lo, 6), round(la, 6)] for la, lo in pts]},
    }


def service_circles(book: ZoneBook) -> tuple[Any, Any, Any]:
    """(lat, lon, radius_km) arrays of every port, terminal, customs and depot circle."""
    rows = [(p.lat, p.lon, book.port_radius_km[p.locode]) for p in book.ports]
    rows += [(p.berth_lat, p.berth_lon, TERMINAL_RADIUS_KM) for p in book.ports]
    rows += [(*book.customs[p.locode], CUSTOMS_RADIUS_KM) for p in book.ports]
    rows += [(d.lat, d.lon, DEPOT_RADIUS_KM) for d in book.depots]
    arr = np.asarray(rows, dtype=float)
    return arr[:, 0], arr[:, 1], arr[:, 2]
