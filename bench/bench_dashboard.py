"""Control tower benchmark: one map refresh with 10,000 live containers — server time and payload.

Seeds a store with a real simulated run (the embedded pipeline: positions, alerts, zones, ledger),
kept in ``--data-dir`` for the next run (``--fresh`` re-seeds; the seeding time is printed), adds
one long track, then measures in this process, each the median of ``--repeat`` runs:

- the tower's refresh now (``st.fragment`` body: store reads, fleet, filters, KPIs, layers, deck JSON);
- baseline A, the refresh as it was (per-row dicts, every column, a colour per row, full precision);
- baseline B, the history not aggregated (every stored fix of every container on the map, compact JSON);
- a carrier filter (one carrier of eleven);
- track playback: one step of a long track against the whole track sent as stored (both compact JSON).

Payload is the deck JSON that ``st.pydeck_chart`` sends to the browser (bytes, and gzipped for the
websocket's deflate). Prints figures and ratios; not a test.

    python bench/bench_dashboard.py [--containers 10000] [--hours 12] [--repeat 5] [--fresh]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sqlite3
import statistics
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pydeck as pdk

from cargotrail.cli.run import RunRequest, run_simulation
from cargotrail.contract import make_container_id, reading_id
from cargotrail.contract.records import Reading
from cargotrail.settings import Settings
from cargotrail.wiring import ZONES_FILE
from dashboards.container_view import track_frame
from dashboards.data import positions_frame, worst_open_severity
from dashboards.mapview import CompactDeck
from dashboards.playback_view import playback_layers, steps
from dashboards.tower_view import (
    Filters,
    apply_filters,
    fleet_frame,
    inside,
    open_alerts_of,
    port_area,
    status_layers,
    tower_deck,
    tower_kpis,
    zone_layer,
)
from dashboards.zones_view import zones_in_force
from geofence.zones import load_zones_file
from store.base import AlertStatus
from store.sqlite import SqliteStore

LONG_TRACK_FIXES = 43_200  # 30 days at one fix a minute
TARGET_S, TARGET_BYTES = 1.0, 2_000_000


def seed(data_dir: Path, containers: int, hours: float, fresh: bool) -> None:
    if (data_dir / "cargotrail.sqlite").exists() and not fresh:
        print(f"store: reusing {data_dir} (--fresh to re-seed)")
        return
    t = time.perf_counter()
    req = RunRequest(
        containers=containers, duration_s=hours * 3600, seed=7, anomalies_per_kind=containers // 400
    )
    run_simulation(Settings(data_dir=data_dir), req, progress=False)
    store = SqliteStore(data_dir / "cargotrail.sqlite")
    start = datetime(2025, 12, 1, tzinfo=UTC)
    box = make_container_id("LNG", 1)
    fixes = [
        Reading(
            device_id="TRK-LONG",
            container_id=box,
            seq=i,
            ts=start + timedelta(minutes=i),
            lat=-30.0 + 60.0 * i / LONG_TRACK_FIXES,
            lon=20.0 + 80.0 * i / LONG_TRACK_FIXES,
            speed_kmh=30.0,
        )
        for i in range(LONG_TRACK_FIXES)
    ]
    store.write_readings(fixes, [reading_id(r.device_id, r.seq) for r in fixes])
    store.close()
    took = time.perf_counter() - t
    print(
        f"store: seeded {containers:,} containers over {hours:g} h "
        f"and a {LONG_TRACK_FIXES:,}-fix track in {took:.0f} s"
    )


def median_s(fn: Callable[[], bytes], repeat: int) -> tuple[float, bytes]:
    times, out = [], b""
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/cargotrail-bench-dashboard"))
    ap.add_argument("--containers", type=int, default=10_000)
    ap.add_argument("--hours", type=float, default=12.0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--fresh", action="store_true")
    args = ap.parse_args()
    seed(args.data_dir, args.containers, args.hours, args.fresh)
    repo = SqliteStore(args.data_dir / "cargotrail.sqlite")
    edited = bool(repo.zone_log(limit=1))
    zones, _ = zones_in_force(repo.zones(), load_zones_file(args.data_dir / ZONES_FILE), edited=edited)
    zones_by_id = {z.zone_id: z for z in zones}
    ports = port_area(zones)  # once per page run, outside the fragment
    drawn = zone_layer(zones, include_corridors=False, selected=None)
    file_doc = json.loads((args.data_dir / ZONES_FILE).read_text())

    def refresh(filters: Filters) -> bytes:
        positions, alerts = repo.latest_positions(), repo.alerts(limit=5000)
        shown = apply_filters(fleet_frame(positions, worst_open_severity(alerts)), filters, zones_by_id)
        tower_kpis(shown, inside(shown, ports), open_alerts_of(alerts, shown["container"]))
        repo.counts()
        return tower_deck([drawn, *status_layers(shown)], "light").to_json().encode()

    def before() -> bytes:  # the refresh as it was before this change (its KPIs, then the map)
        positions, alerts = repo.latest_positions(), repo.alerts(limit=5000)
        repo.counts()
        Counter(r.alert.severity.value for r in alerts if r.status is not AlertStatus.RESOLVED)
        frame = positions_frame(positions, worst_open_severity(alerts))
        features = [f for f in file_doc["features"] if f["properties"]["type"] != "corridor"]
        zone_data = {"type": "FeatureCollection", "features": features}
        layers = [
            pdk.Layer(
                "GeoJsonLayer", zone_data, stroked=True, filled=True, get_fill_color=[60, 120, 200, 40]
            ),
            pdk.Layer("ScatterplotLayer", frame, get_position=["lon", "lat"], get_fill_color="colour"),
        ]
        return pdk.Deck(layers=layers, map_style="light").to_json().encode()

    def history() -> bytes:  # every stored fix on the map, not aggregated to the latest one
        with sqlite3.connect(args.data_dir / "cargotrail.sqlite") as db:
            rows = db.execute("SELECT container_id, lon, lat FROM readings WHERE flag = 0").fetchall()
        data = [{"container": c, "lon": x, "lat": y} for c, x, y in rows]
        layer = pdk.Layer("ScatterplotLayer", data, get_position=["lon", "lat"], get_radius=3000)
        return CompactDeck(layers=[drawn, layer], map_style="light").to_json().encode()

    long_box = make_container_id("LNG", 1)

    def playback_step() -> bytes:
        track = track_frame(repo.track(long_box, 0.0, float("inf")))
        frames = steps(track)
        return CompactDeck(layers=playback_layers(track, frames, len(frames) // 2)).to_json().encode()

    def whole_track() -> bytes:
        track = track_frame(repo.track(long_box, 0.0, float("inf"), max_points=10**9))
        data = track.assign(time=track["time"].astype(str))
        layer = pdk.Layer("ScatterplotLayer", data, get_position=["lon", "lat"])
        return CompactDeck(layers=[layer]).to_json().encode()

    carrier = Filters(carriers=frozenset({"Maersk"}))
    cases = [
        ("tower refresh (now)", lambda: refresh(Filters())),
        ("  baseline A: refresh as it was", before),
        ("  baseline B: history not aggregated", history),
        ("tower refresh, one carrier", lambda: refresh(carrier)),
        ("playback step, 43,200-fix track", playback_step),
        ("  baseline: whole track as stored", whole_track),
    ]
    boxes = repo.latest_positions()
    open_alerts = open_alerts_of(repo.alerts(limit=5000), [p.container_id for p in boxes])
    print(
        f"containers on the map: {len(boxes):,}; readings stored: {repo.counts()['readings']:,}; "
        f"zones: {len(zones)}; open alerts: {len(open_alerts)}"
    )
    results = {}
    print(f"{'case':42} {'server s':>9} {'payload':>12} {'gzipped':>10}")
    for name, fn in cases:
        seconds, payload = median_s(fn, args.repeat)
        results[name] = (seconds, len(payload))
        print(f"{name:42} {seconds:9.3f} {len(payload):12,} {len(gzip.compress(payload)):10,}")
    now_s, now_b = results["tower refresh (now)"]
    for base in ("  baseline A: refresh as it was", "  baseline B: history not aggregated"):
        s, b = results[base]
        print(
            f"ratio{base.strip()[8:]:>39}: time x{s / now_s:.1f}, payload x{b / now_b:.1f} (baseline / now)"
        )
    s, b = results["  baseline: whole track as stored"]
    ps, pb = results["playback step, 43,200-fix track"]
    print(f"ratio playback: time x{s / ps:.1f}, payload x{b / pb:.1f} (whole track / one step)")
    verdict = "meets" if now_s <= TARGET_S and now_b <= TARGET_BYTES else "MISSES"
    print(f"tower refresh {verdict} the targets (<= {TARGET_S:g} s, <= {TARGET_BYTES / 1e6:g} MB)")


if __name__ == "__main__":
    main()
