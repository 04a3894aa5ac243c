"""Control tower: KPIs, the live map of latest positions and zones, the alert queue.

Only the live parts re-run on a timer (``st.fragment(run_every=...)``).
"""

from __future__ import annotations

import pydeck as pdk
import streamlit as st

from dashboards.common import MAP_STYLE, require_reader, settings, store, zones
from dashboards.data import alerts_frame, kpis, positions_frame, worst_open_severity, zone_layers_data

REFRESH_S = 5

require_reader()
s = settings()
repo = store(s)
zone_data = zones(s)
st.title("cargotrail control tower")
show_corridors = st.sidebar.checkbox("Show route corridors", value=False)
status_filter = st.sidebar.multiselect(
    "Status", ["critical", "high", "medium", "low", "ok"], default=["critical", "high", "medium", "low", "ok"]
)


@st.fragment(run_every=REFRESH_S)
def live() -> None:
    positions = repo.latest_positions()
    alerts = repo.alerts(limit=5000)
    worst = worst_open_severity(alerts)
    k = kpis(repo, positions, alerts)
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
            zone_layers_data(zone_data, include_corridors=show_corridors),
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
