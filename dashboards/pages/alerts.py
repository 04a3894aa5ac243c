"""Alerts: the triage queue (worst and oldest first), each alert's explanation and evidence, triage."""

from __future__ import annotations

from datetime import UTC, datetime

import pydeck as pdk
import streamlit as st

from dashboards.alerts_view import evidence_points, explanation, label, queue_frame, sort_queue, triage_frame
from dashboards.common import MAP_STYLE, operator, require_reader, role, settings, store
from dashboards.roles import may_triage
from store.base import TriageAction

require_reader()
repo = store(settings())
st.title("Alerts")
include_resolved = st.toggle("Include resolved", value=False)
rows = sort_queue(repo.alerts(limit=5000), include_resolved=include_resolved)
st.dataframe(queue_frame(rows, datetime.now(UTC)), hide_index=True, width="stretch")
if not rows:
    st.success("No alerts waiting.")
    st.stop()

by_label = {label(r): r for r in rows}
chosen = by_label[str(st.selectbox("Alert", list(by_label), key="alert_choice"))]
alert = chosen.alert
why = explanation(alert)
left, right = st.columns([3, 2])
with left:
    st.subheader(f"{alert.severity.value.upper()}: {alert.kind.value.replace('_', ' ')}")
    st.markdown(f"**Container** `{alert.container_id}` · **status** {chosen.status.value}")
    if chosen.assignee:
        st.markdown(f"**Assigned to** {chosen.assignee}")
    st.write(why["summary"])
    st.markdown(f"**Rule** `{why['rule']}`")
    st.dataframe(why["table"], hide_index=True, width="stretch")
    st.markdown("**Evidence** " + (", ".join(f"`{e}`" for e in why["evidence"]) or "none"))
with right:
    points = evidence_points(repo, alert)
    if points.empty:
        st.caption("No position for this alert's evidence.")
    else:
        layer = pdk.Layer(
            "ScatterplotLayer",
            points,
            get_position=["lon", "lat"],
            get_fill_color="colour",
            get_radius=800,
            radius_min_pixels=5,
            pickable=True,
        )
        view = pdk.ViewState(
            latitude=float(points["lat"].mean()), longitude=float(points["lon"].mean()), zoom=7
        )
        deck = pdk.Deck(
            layers=[layer],
            initial_view_state=view,
            map_style=MAP_STYLE,
            tooltip={"text": "{what} {record_id}"},
        )
        st.pydeck_chart(deck, height=280)

st.subheader("Triage")
who = operator()
if not may_triage(role()):
    st.info(f"The {role()} role may read alerts but not triage them.")
elif not who:
    st.warning("Enter your name as operator name in the sidebar to triage.")
else:
    assignee = st.text_input("Assign to", key="assignee")
    note = st.text_input("Note", key="note")
    b1, b2, b3 = st.columns(3)
    action: TriageAction | None = None
    if b1.button("Acknowledge", key="ack"):
        action = TriageAction.ACKNOWLEDGE
    if b2.button("Assign", key="assign", disabled=not assignee.strip()):
        action = TriageAction.ASSIGN
    if b3.button("Resolve", key="resolve"):
        action = TriageAction.RESOLVE
    if action is not None:
        done = repo.triage(alert.alert_id, action, who, assignee=assignee.strip() or None, note=note)
        st.session_state["triage_done"] = f"Alert {alert.alert_id} {done.status.value} by {who}."
        st.rerun()
if "triage_done" in st.session_state:
    st.success(st.session_state.pop("triage_done"))
st.dataframe(triage_frame(repo.triage_log(alert.alert_id)), hide_index=True, width="stretch")
