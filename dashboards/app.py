"""cargotrail control tower (Streamlit): live positions, zones and the alert queue.

Run by ``cargotrail demo``; reads the store the settings name (the SQLite file in
CARGOTRAIL_DATA_DIR by default, PostgreSQL when CARGOTRAIL_STORE_URL is set).
Only the live parts re-run on a timer (``st.fragment(run_every=...)``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pydeck as pdk
import streamlit as st

from cargotrail.settings import Settings
from cargotrail.wiring import ZONES_FILE, open_store
from dashboards.data import alerts_frame, kpis, positions_frame, worst_open_severity, zone_layers_data
from store.base import Repository

REFRESH_S = 5
# CARTO's light basemap needs no token; without internet the layers still draw, on white.
MAP_STYLE = "light"

st.set_page_config(page_title="cargotrail control tower", page_icon="🚢", layout="wide")


@st.cache_resource
def _settings() -> Settings:
    return Settings.from_env()


@st.cache_resource
def _store(_settings: Settings) -> Repository:
    return open_store(_settings)


@st.cache_data
def _zones(path: str, mtime: float) -> dict[str, object]:
    return dict(json.loads(Path(path).read_text()))


settings = _settings()
st.title("cargotrail control tower")
if not settings.store_url and not settings.sqlite_path.exists():
    st.info(f"No data yet in {settings.data_dir}. Start `cargotrail demo` or `cargotrail run`.")
    st.stop()
store = _store(settings)
zones_path = settings.data_dir / ZONES_FILE
zones = _zones(str(zones_path), zones_path.stat().st_mtime) if zones_path.exists() else {"features": []}
show_corridors = st.sidebar.checkbox("Show route corridors", value=False)
status_filter = st.sidebar.multiselect(
    "Status", ["critical", "high", "medium", "low", "ok"], default=["critical", "high", "medium", "low", "ok"]
)


@st.fragment(run_every=REFRESH_S)
def live() -> None:
    positions = store.latest_positions()
    alerts = store.alerts(limit=5000)
    worst = worst_open_severity(alerts)
    k = kpis(store, positions, alerts)
    cols = st.columns(6)
    cols[0].metric("Containers tracked", f"{k['containers']:,}")
    cols[1].metric("Readings stored", f"{k['readings']:,}")
    cols[2].metric("Open alerts", k["open_alerts"])
    cols[3].metric(
        "Critical / high", f"{k['open_by_severity']['critical']} / {k['open_by_severity']['high']}"
    )
    cols[4].metric("Dead letters", k["dead_letters"])
    cols[5].metric("Device time", k["device_time"])

    frame = positions_frame(positions, worst)
    frame = frame[frame["status"].isin(status_filter)]
    layers = [
        pdk.Layer(
            "GeoJsonLayer",
            zone_layers_data(zones, include_corridors=show_corridors),
            stroked=True,
            filled=True,
            get_fill_color=[60, 120, 200, 40],
            get_line_color=[60, 120, 200, 160],
            line_width_min_pixels=1,
            pickable=False,
        ),
        pdk.Layer(
            "ScatterplotLayer",
            frame,
            get_position=["lon", "lat"],
            get_fill_color="colour",
            get_radius=3000,
            radius_min_pixels=3,
            radius_max_pixels=12,
            pickable=True,
        ),
    ]
    st.pydeck_chart(
        pdk.Deck(
            layers=layers,
            initial_view_state=pdk.ViewState(latitude=25, longitude=40, zoom=1.3),
            map_style=MAP_STYLE,
            tooltip={"text": "{container}\nstatus: {status}\nlast seen: {last_seen}"},
        ),
        height=520,
    )
    st.subheader("Alert queue")
    table = alerts_frame([r for r in alerts if r.status.value != "resolved"])
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={"why": st.column_config.TextColumn(width="large")},
    )


live()
