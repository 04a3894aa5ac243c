"""Port table, lanes, routes and zones."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from cargotrail.contract.records import ZoneType
from geofence.zones import zones_from_geojson
from services.simulator.geo import haversine_km, point_segment_km
from services.simulator.ports import load_depots, load_ports
from services.simulator.world import world
from services.simulator.zones import RESTRICTED_CLEARANCE_KM

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data" / "ports" / "unlocode_seaports.csv"
HAND = {"SGSIN", "HKHKG", "USLAX", "KEMBA", "AEJEA", "GBFXT", "ESVLC", "INNSA"}


def test_port_table_shape_and_sources() -> None:
    ports = load_ports()
    codes = [p.locode for p in ports]
    assert 40 <= len(ports) <= 50 and len(set(codes)) == len(codes) and codes == sorted(codes)
    assert {p.locode for p in ports if p.source == "hand"} >= HAND
    assert {p.source for p in ports} == {"unlocode", "hand"}
    for p in ports:  # the berth lies inside the port zone with margin (UN/LOCODE is 1' coarse)
        assert haversine_km(p.lat, p.lon, p.berth_lat, p.berth_lon) < 17.0


def test_unlocode_rows_are_verbatim() -> None:
    with SHARED.open(encoding="utf-8") as fh:
        official = {r["locode"]: r for r in csv.DictReader(fh)}
    for p in load_ports():
        if p.source == "unlocode":
            row = official[p.locode]
            assert (float(row["latitude_decimal"]), float(row["longitude_decimal"])) == (p.lat, p.lon)
            assert row["country"] == p.country
        else:
            assert p.locode not in official


def test_depots_are_inland_truck_distances() -> None:
    ports = {p.locode: p for p in load_ports()}
    depots = load_depots()
    assert {d.port for d in depots} == set(ports)
    assert len({d.depot_id for d in depots}) == len(depots)
    for d in depots:
        assert 10.0 < haversine_km(d.lat, d.lon, ports[d.port].berth_lat, ports[d.port].berth_lon) < 320.0


def test_routes_and_antimeridian() -> None:
    w = world()
    assert len(w.graph.routes) > 1500
    assert ("NLRTM", "CNSGH") in w.graph.routes and ("USLGB", "CNSGH") not in w.graph.routes
    assert np.abs(w.paths.lon).max() < 180.0  # nothing wraps
    for (a, b), r in w.graph.routes.items():
        assert r.nodes[0] == a and r.nodes[-1] == b
        assert not (set(r.nodes[1:-1]) & set(w.port_index))  # never through a third port's berth


def test_zones_geojson_schema() -> None:
    doc = world().zones.geojson()
    feats = doc["features"]
    ids = [f["properties"]["id"] for f in feats]
    assert len(ids) == len(set(ids))
    kinds = {f["properties"]["type"] for f in feats}
    assert kinds == {t.value for t in ZoneType}
    for f in feats:
        p, g = f["properties"], f["geometry"]
        assert (g["type"] == "Point" and p["radius_m"] > 0) or (
            g["type"] == "LineString" and p["width_m"] > 0
        )
        lon, lat = np.asarray(g["coordinates"]).reshape(-1, 2).T
        assert (np.abs(lon) <= 180).all() and (np.abs(lat) <= 90).all()
    customs = [f for f in feats if f["properties"]["type"] == "customs"]
    assert all(f["properties"]["dwell_limit_s"] == 72 * 3600.0 for f in customs)
    assert len([f for f in feats if f["properties"]["type"] == "corridor"]) == len(
        world().graph.used_edges
    ) + len(load_depots())


def test_zones_parse_with_geofence_package() -> None:
    parsed = zones_from_geojson(world().zones.geojson())
    assert len(parsed) == len(world().zones.geojson()["features"])


def test_port_zone_holds_terminal_and_customs() -> None:
    w = world()
    for p in w.ports:
        r = w.zones.port_radius_km[p.locode]
        assert haversine_km(p.lat, p.lon, p.berth_lat, p.berth_lon) + 2.5 < r
        assert haversine_km(p.lat, p.lon, *w.zones.customs[p.locode]) + 1.0 < r


def test_restricted_zones_clear_normal_tracks_but_inside_a_corridor() -> None:
    w = world()
    assert len(w.zones.restricted) >= 5
    for r in w.zones.restricted:
        (la1, lo1), (la2, lo2) = w.graph.points[r.edge[0]], w.graph.points[r.edge[1]]
        d = float(point_segment_km(r.lat, r.lon, la1, lo1, la2, lo2))
        assert d + r.radius_km < 40.0 - 5.0  # inside the 80 km corridor with margin
        # every normal track vertex (dense: 50 km steps at sea, 5 km on trucks) keeps its distance
        gap = haversine_km(w.paths.lat, w.paths.lon, r.lat, r.lon) - r.radius_km
        assert gap.min() >= RESTRICTED_CLEARANCE_KM


def test_open_sea_lanes_avoid_land() -> None:
    from global_land_mask import globe  # a dev dependency: installed by `make test`

    w = world()
    narrow = (
        "SUEZ",
        "CANAL",
        "ELBE",
        "MAAS",
        "SCHELDT",
        "NGB",
        "SHK",
        "PEARL",
        "SG_",
        "SUNDA",
        "MEL_",
        "BALBOA",
        "KITAN",
    )
    for a, b in w.graph.used_edges:
        if a in w.port_index or b in w.port_index or any(a.startswith(n) or b.startswith(n) for n in narrow):
            continue
        (la1, lo1), (la2, lo2) = w.graph.points[a], w.graph.points[b]
        f = np.linspace(0, 1, 400)
        land = globe.is_land(la1 + f * (la2 - la1), lo1 + f * (lo2 - lo1))
        assert land.sum() <= 2, (a, b)
