"""Seaports and inland depots the simulated fleet moves between.

``ports.csv`` (shipped beside this module, read with ``importlib.resources``)
is DERIVED from ``shared/data/ports/unlocode_seaports.csv`` (UN/LOCODE 2025-1,
UNECE's own coordinates, ODC-PDDL-1.0). Its ``#`` comment lines say so; the
columns are ``locode,name,country,lat,lon,source,berth_lat,berth_lon``:

* ``source=unlocode``: locode, country and lat/lon copied verbatim from the
  official list (1 arc-minute precision, about 1.8 km; usually the town, not the
  quay).
* ``source=hand``: the largest ports the official list has no coordinates for
  (SGSIN, HKHKG, USLAX, KEMBA, AEJEA, GBFXT, ESVLC, INNSA, plus DEBRV and ESALG),
  placed by hand; each lies within 5 km of its World Port Index 2019 position
  (``wpi_12nm_bounding_box_port.csv``), which was used as the cross-check for
  every row.
* ``berth_lat/berth_lon``: a hand-picked container berth, within 17 km of the
  port point. Because the port point is coarse, the port zone is a circle of
  ``max(12 km, berth distance + 6 km)`` around it, so it always contains the
  terminal and customs areas built around the berth (see ``zones.py``).

Asia <-> Americas-Pacific pairs are not served (see ``routing.py``): every lane
stays clear of the antimeridian.

Depots are real inland logistics places (hand coordinates, about 0.01 degree)
within a truck leg of 15-300 km of their port.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Port:
    locode: str
    name: str
    country: str
    lat: float
    lon: float
    source: str  # "unlocode" or "hand"
    berth_lat: float
    berth_lon: float


@dataclass(frozen=True)
class Depot:
    depot_id: str  # "<port locode>-<PLACE>", stable
    name: str
    port: str  # locode of the port it trucks to
    lat: float
    lon: float


# port locode -> [(place, lat, lon)]: 1-2 real inland container depots / logistics hubs each.
_DEPOTS: dict[str, list[tuple[str, float, float]]] = {
    "NLRTM": [("Duisburg", 51.435, 6.760), ("Venlo", 51.370, 6.170)],
    "BEANR": [("Genk", 50.960, 5.500), ("Liege Trilogiport", 50.680, 5.620)],
    "DEHAM": [("Hannover", 52.370, 9.730)],
    "DEBRV": [("Bremen GVZ", 53.060, 8.720), ("Osnabrueck", 52.280, 8.050)],
    "FRLEH": [("Rouen", 49.440, 1.090), ("Gennevilliers", 48.930, 2.300)],
    "GBFXT": [("Daventry DIRFT", 52.330, -1.170)],
    "GBLGP": [("Milton Keynes Magna Park", 52.000, -0.680)],
    "ESVLC": [("Zaragoza PLAZA", 41.620, -0.990)],
    "ESALG": [("Sevilla", 37.380, -5.980)],
    "ITGOA": [("Rivalta Scrivia", 44.840, 8.850), ("Melzo", 45.500, 9.420)],
    "GRPIR": [("Thriasio", 38.060, 23.570)],
    "EGPSE": [("10th of Ramadan City", 30.300, 31.750)],
    "SAJED": [("Makkah", 21.420, 39.830)],
    "DJPOD": [("Ali Sabieh", 11.160, 42.710)],
    "AEJEA": [("KEZAD Abu Dhabi", 24.720, 54.730), ("Al Ain", 24.200, 55.750)],
    "INNSA": [("Pune", 18.520, 73.860)],
    "PKBQM": [("Hyderabad", 25.390, 68.370)],
    "LKCMB": [("Kandy", 7.290, 80.630)],
    "BDCGP": [("Comilla", 23.460, 91.180)],
    "MYPKG": [("Kuala Lumpur", 3.140, 101.690)],
    "MYTPP": [("Senai", 1.640, 103.670)],
    "SGSIN": [("Loyang", 1.370, 103.970)],
    "THLCH": [("Lat Krabang ICD", 13.720, 100.770)],
    "VNCMT": [("Song Than ICD", 10.880, 106.750)],
    "IDJKT": [("Cikarang Dry Port", -6.320, 107.170)],
    "HKHKG": [("Yuen Long", 22.450, 114.030)],
    "CNSHK": [("Dongguan", 23.020, 113.750)],
    "CNSGH": [("Suzhou", 31.300, 120.620)],
    "CNNBG": [("Yiwu", 29.310, 120.070)],
    "CNQIN": [("Weifang", 36.700, 119.160)],
    "CNTXG": [("Beijing", 39.900, 116.400)],
    "KRPUS": [("Yangsan ICD", 35.360, 129.030), ("Daegu", 35.870, 128.600)],
    "JPTYO": [("Saitama", 35.860, 139.650)],
    "JPUKB": [("Kyoto", 34.980, 135.760)],
    "USLGB": [("Ontario CA", 34.060, -117.650)],
    "USLAX": [("Vernon", 34.000, -118.200)],
    "MXZLO": [("Guadalajara", 20.670, -103.350)],
    "PAONX": [("Panama City", 9.030, -79.470)],
    "USNYC": [("Edison NJ", 40.520, -74.410)],
    "BRSSZ": [("Sao Paulo", -23.550, -46.630)],
    "ZADUR": [("Pietermaritzburg", -29.600, 30.380)],
    "ZACPT": [("Paarl", -33.730, 18.960)],
    "KEMBA": [("Voi", -3.400, 38.560)],
    "AUMEL": [("Dandenong", -37.990, 145.210)],
    "AUSYD": [("Moorebank", -33.940, 150.930)],
}


@cache
def load_ports() -> tuple[Port, ...]:
    """All ports, sorted by locode (the order is part of the determinism contract)."""
    text = resources.files(__package__).joinpath("ports.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    ports = [
        Port(
            locode=row["locode"],
            name=row["name"],
            country=row["country"],
            lat=float(row["lat"]),
            lon=float(row["lon"]),
            source=row["source"],
            berth_lat=float(row["berth_lat"]),
            berth_lon=float(row["berth_lon"]),
        )
        for row in csv.DictReader(io.StringIO("\n".join(lines)))
    ]
    return tuple(sorted(ports, key=lambda p: p.locode))


@cache
def load_depots() -> tuple[Depot, ...]:
    """All depots, grouped by port in locode order; ids are ``<locode>-<PLACE>``."""
    out: list[Depot] = []
    for port in load_ports():
        for name, lat, lon in _DEPOTS[port.locode]:
            slug = "".join(ch for ch in name.upper() if ch.isalnum())[:12]
            out.append(Depot(f"{port.locode}-{slug}", name, port.locode, lat, lon))
    return tuple(out)
