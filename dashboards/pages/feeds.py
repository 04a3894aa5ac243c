"""Feeds: devices per source, last seen per device, the dead-letter queue by reason."""

from __future__ import annotations

import streamlit as st

from dashboards.common import require_reader, settings, store
from dashboards.feeds_view import devices_frame, dlq_frame, dlq_reasons, per_source

require_reader()
repo = store(settings())
st.title("Feeds")
counts = repo.counts()
cols = st.columns(4)
cols[0].metric("Readings", f"{counts['readings']:,}")
cols[1].metric("RFID reads", f"{counts['rfid_reads']:,}")
cols[2].metric("Geofence events", f"{counts['geofence_events']:,}")
cols[3].metric("Dead letters", f"{counts['dead_letters']:,}")

positions = repo.latest_positions()
devices = devices_frame(repo, positions, None)
left, right = st.columns([1, 3])
with left:
    st.markdown("**Devices per source**")
    st.dataframe(per_source(devices), hide_index=True, width="stretch")
with right:
    st.markdown("**Last seen per device** (silent: behind the newest reading)")
    st.dataframe(devices.drop(columns=["lat", "lon"]), hide_index=True, width="stretch")

st.subheader("Dead-letter queue")
letters = repo.dead_letters(limit=5000)
if not letters:
    st.success("No dead letters.")
else:
    st.markdown("**By reason**")
    st.dataframe(dlq_reasons(letters), hide_index=True, width="stretch")
    st.markdown("**Latest**")
    st.dataframe(dlq_frame(letters[:200]), hide_index=True, width="stretch")
