"""Container: one container's story.

Its track (with playback), DCSA milestones, geofence visits, temperature against the band, alerts, and
each record's ledger status with Verify and a proof bundle download.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

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
    visits,
)
from dashboards.mapview import CompactDeck, fitted_view
from dashboards.playback_view import next_step, playback_layers, step_label, steps
from dashboards.records import decode
from dashboards.roles import may_verify

PAGE_SIZE = 20
PLAY_S = 0.8
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
frames = steps(track)


def playback() -> None:
    """The map at one step of the track; re-run alone (and advanced) while playing."""
    count, state = len(frames), st.session_state
    current = int(state.get("playback_step", count - 1))
    state["playback_step"] = current if 0 <= current < count else count - 1  # another container's step
    if state.get("playing") and count > 1:
        state["playback_step"] = next_step(state["playback_step"], count, max(1, count // 60))
    step = int(st.slider("Playback", 0, count - 1, key="playback_step", format="step %d")) if count > 1 else 0
    st.caption(f"{step_label(frames, step)} · fix {step + 1} of {count} shown (of {len(track)} in the track)")
    view = fitted_view(track["lon"].min(), track["lat"].min(), track["lon"].max(), track["lat"].max())
    deck = CompactDeck(
        layers=playback_layers(track, frames, step), initial_view_state=view, map_style=MAP_STYLE
    )
    st.pydeck_chart(deck, height=360)


if not frames.empty:
    playing = st.toggle("▶ Play the track", key="playing", help=f"a step every {PLAY_S} s, looping")
    st.fragment(run_every=PLAY_S if playing else None)(playback)()

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
