"""Container: one container's story — track, DCSA milestones, zone visits, temperature, alerts, records."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pydeck as pdk
import streamlit as st

from cargotrail.audit import export_bundle, verify_record
from cargotrail.contract.records import Reading
from cargotrail.errors import CargotrailError
from dashboards.alerts_view import queue_frame, sort_queue
from dashboards.common import MAP_STYLE, ledger, require_reader, role, settings, store
from dashboards.container_view import (
    container_number,
    milestones,
    records_frame,
    temperature_band,
    temperature_frame,
    track_frame,
    track_path,
    visits,
)
from dashboards.records import decode
from dashboards.roles import may_verify

PAGE_SIZE = 20
require_reader()
s = settings()
repo = store(s)
st.title("Container")
typed = st.text_input(
    "ISO 6346 container number", value=st.query_params.get("container", ""), key="container"
)
if not typed:
    st.caption("Enter a container number, e.g. one from the control tower's map.")
    st.stop()
number = container_number(typed)
if number is None:
    st.error(f"{typed!r} is not a valid ISO 6346 container number (owner, category, serial, check digit).")
    st.stop()
stored = repo.records_for(number, 0.0, float("inf"))
if not stored:
    st.warning(f"No records of {number} in the store.")
    st.stop()

shown = [decode(r) for r in stored]
readings = [r for r in shown if isinstance(r, Reading)]
track = track_frame(repo.track(number, 0.0, float("inf")))
st.subheader(f"{number}: {len(stored)} records")
layers = [
    pdk.Layer("PathLayer", track_path(track), get_path="path", get_color=[40, 90, 180], width_min_pixels=2),
    pdk.Layer(
        "ScatterplotLayer",
        track.tail(1),
        get_position=["lon", "lat"],
        get_fill_color=[200, 30, 45],
        radius_min_pixels=6,
    ),
]
if not track.empty:
    view = pdk.ViewState(
        latitude=float(track["lat"].iloc[-1]), longitude=float(track["lon"].iloc[-1]), zoom=3
    )
    st.pydeck_chart(pdk.Deck(layers=layers, initial_view_state=view, map_style=MAP_STYLE), height=360)

events = repo.events(number)
left, right = st.columns(2)
with left:
    st.markdown("**Milestones (DCSA equipment events)**")
    st.dataframe(milestones(repo.rfid(number), events), hide_index=True, width="stretch")
with right:
    st.markdown("**Geofence visits**")
    st.dataframe(visits(events), hide_index=True, width="stretch")

band = temperature_band(repo.plans(number))
temps = temperature_frame(readings, band)
st.markdown(
    "**Temperature** " + (f"(band {band[0]} to {band[1]} °C)" if band != (None, None) else "(no band)")
)
if temps.empty:
    st.caption("This container reports no temperature.")
else:
    st.line_chart(temps, x="time", y="°C", color="series", height=240)

st.markdown("**Alerts**")
st.dataframe(
    queue_frame(sort_queue(repo.alerts(container_id=number), include_resolved=True), datetime.now(UTC)),
    hide_index=True,
)

st.markdown("**Records and their ledger status**")
if not may_verify(role()):
    st.info(f"The {role()} role may not verify records.")
    st.dataframe(records_frame(stored), hide_index=True)
    st.stop()
pages = max(1, -(-len(stored) // PAGE_SIZE))
page = int(st.number_input("Page (newest first)", min_value=1, max_value=pages, value=1, key="records_page"))
newest_first = records_frame(stored).iloc[::-1].reset_index(drop=True)
chunk = newest_first.iloc[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
for row in chunk.to_dict("records"):
    rid = str(row["record_id"])
    c1, c2, c3, c4 = st.columns([4, 2, 3, 1])
    c1.code(rid, language=None)
    c2.write(f"{row['kind']} · {row['time (UTC)']}")
    if c4.button("Verify", key=f"verify-{rid}"):
        check = verify_record(repo, ledger(s), rid)
        st.session_state[f"check-{rid}"] = (check.ok, check.batch_id, check.problem)
    verdict = st.session_state.get(f"check-{rid}")
    if verdict is not None:
        ok, bid, problem = verdict
        (c3.success if ok else c3.error)(f"verified in batch {bid}" if ok else f"FAILED: {problem}")

chosen = st.selectbox("Proof bundle of record", chunk["record_id"].tolist(), key="bundle_record")
try:
    bundle = json.dumps(export_bundle(repo, ledger(s), str(chosen)), indent=2)
except CargotrailError as exc:
    st.error(f"No proof bundle: {exc}")
else:
    st.download_button(
        "Download proof bundle", bundle, file_name=f"{chosen}.bundle.json", mime="application/json"
    )
