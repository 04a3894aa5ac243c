"""Control tower: KPIs, the live map of latest positions and zones, the alert queue; filters for all three.

Only the live parts re-run on a timer (``st.fragment(run_every=...)``); the zones
and their port area are prepared once per page run.
"""

from __future__ import annotations

import time

import streamlit as st

from cargotrail.contract.carriers import CARRIER_PREFIXES
from dashboards.common import MAP_STYLE, require_reader, settings, store, zones
from dashboards.data import alerts_frame, worst_open_severity
from dashboards.tower_view import (
    STATUSES,
    Filters,
    apply_filters,
    fleet_frame,
    inside,
    open_alerts_of,
    port_area,
    readings_rate,
    status_layers,
    tower_deck,
    tower_kpis,
    zone_layer,
)

REFRESH_S = 5

require_reader()
s = settings()
repo = store(s)
zone_list, _ = zones(s, repo)
zones_by_id = {z.zone_id: z for z in zone_list}
ports = port_area(zone_list)
st.title("cargotrail control tower")
bar = st.sidebar
carriers = bar.multiselect("Carrier", sorted(CARRIER_PREFIXES), key="f_carrier", placeholder="all carriers")
zone_id = bar.selectbox(
    "Zone",
    sorted(zones_by_id),
    index=None,
    key="f_zone",
    placeholder="anywhere",
    help="containers inside it now",
)
statuses = bar.multiselect("Status", STATUSES, default=list(STATUSES), key="f_status")
show_corridors = bar.checkbox("Show route corridors", value=False)
filters = Filters(carriers=frozenset(carriers), zone_id=zone_id, statuses=frozenset(statuses))
zones_drawn = zone_layer(zone_list, include_corridors=show_corridors, selected=zone_id)


@st.fragment(run_every=REFRESH_S)
def live() -> None:
    positions = repo.latest_positions()
    alerts = repo.alerts(limit=5000)
    shown = apply_filters(fleet_frame(positions, worst_open_severity(alerts)), filters, zones_by_id)
    open_alerts = open_alerts_of(alerts, shown["container"])
    k = tower_kpis(shown, inside(shown, ports), open_alerts)
    readings, now = repo.counts()["readings"], time.monotonic()
    rate = readings_rate(st.session_state.get("tower_rate"), now, readings)
    st.session_state["tower_rate"] = (now, readings)

    cols = st.columns(6)
    cols[0].metric("Containers tracked", f"{k['containers']:,}")
    cols[1].metric("In port", f"{k['in_port']:,}", help="inside a port or terminal zone")
    cols[2].metric("In transit", f"{k['in_transit']:,}")
    cols[3].metric("Open alerts", k["open_alerts"])
    cols[4].metric(
        "Critical / high", f"{k['open_by_severity']['critical']} / {k['open_by_severity']['high']}"
    )
    cols[5].metric("Readings/s", "-" if rate is None else f"{rate:,.1f}", help=f"{readings:,} stored")
    st.caption(f"Device time {k['device_time']} · refreshed every {REFRESH_S} s")
    st.pydeck_chart(tower_deck([zones_drawn, *status_layers(shown)], MAP_STYLE), height=520)
    st.subheader("Alert queue")
    st.dataframe(
        alerts_frame(open_alerts),
        hide_index=True,
        width="stretch",
        column_config={"why": st.column_config.TextColumn(width="large")},
    )


live()
