"""Zones: the geofences on a map with their type and dwell threshold; admins create, edit and delete them.

A zone is created by drawing it on the map or uploading GeoJSON; every change is
saved in the store and logged with the admin's name. Until an admin saves one,
the zones are the run's zones file; the first save copies them into the store.
The embedded pipeline picks saved changes up live (it watches the zone log); Kafka workers read
the zones in force when they start (cargotrail.wiring.load_zones).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from streamlit_folium import st_folium

from cargotrail.contract.records import ZoneType
from cargotrail.errors import CargotrailError
from cargotrail.wiring import ZONES_FILE
from dashboards.common import MAP_STYLE, operator, require_reader, role, settings, store, zones
from dashboards.roles import may_edit_zones
from dashboards.web_assets import local_leaflet
from dashboards.zone_maps import draw_map, zones_deck
from dashboards.zones_view import drawn_zone, log_frame, parse_upload, shape_of, with_fields, zones_frame
from geofence.zones import Zone

TYPES = [t.value for t in ZoneType]

require_reader()
s = settings()
repo = store(s)
zone_list, source = zones(s, repo)
by_id = {z.zone_id: z for z in zone_list}
st.title("Zones")
if source == "store":
    st.caption(f"{len(zone_list)} zones, as saved in the store.")
else:
    st.caption(
        f"{len(zone_list)} zones from the run's {ZONES_FILE}; "
        "the first saved change copies them into the store."
    )
st.caption(
    "A saved change takes effect live in the embedded pipeline (ingest gateway, `cargotrail run` and "
    "`demo`) within seconds: boxes already inside a new zone enter it then, dwell limits apply from then. "
    "Kafka workers pick changes up at their next restart."
)
if "zones_done" in st.session_state:
    st.success(st.session_state.pop("zones_done"))

st.dataframe(zones_frame(zone_list), hide_index=True, width="stretch", height=260)
chosen = st.selectbox("Zone", sorted(by_id), index=None, key="zone_choice", placeholder="pick one to see it")
zone = by_id.get(chosen) if chosen else None
corridors = st.toggle("Show route corridors", value=zone is not None and zone.zone_type is ZoneType.CORRIDOR)
st.pydeck_chart(
    zones_deck(zone_list, include_corridors=corridors, selected=chosen, style=MAP_STYLE), height=420
)
if zone is not None:
    dwell = f"{zone.dwell_limit_s / 3600:g} h" if zone.dwell_limit_s else "none"
    st.markdown(
        f"**{zone.zone_id}** · {zone.name} · type **{zone.zone_type.value}** · {shape_of(zone)} · "
        f"dwell threshold **{dwell}**" + (f" · UN/LOCODE {zone.locode}" if zone.locode else "")
    )


def change_log() -> None:
    st.subheader("Change log")
    st.dataframe(log_frame(repo.zone_log(limit=200)), hide_index=True, width="stretch")


who = operator()
if not may_edit_zones(role()):
    st.info(f"The {role()} role sees the zones; only an admin creates, edits or deletes them.")
    change_log()
    st.stop()
if not who:
    st.warning("Enter your name as operator name in the sidebar to edit zones.")
    change_log()
    st.stop()


def commit(change: Callable[[], str], note: str = "") -> None:
    """Apply one change (after copying the file's zones into the store, the first time) and say so."""
    try:
        with repo.unit_of_work():
            if source == "file" and zone_list:
                repo.save_zones(zone_list, who, note=f"imported from {ZONES_FILE}")
            done = change()
    except CargotrailError as exc:
        st.error(str(exc))
        return
    st.session_state["zones_done"] = done
    st.rerun()


def save(new: list[Zone], note: str) -> Callable[[], str]:
    def run() -> str:
        n = repo.save_zones(new, who, note=note)
        return f"Saved {n} of {len(new)} zones ({', '.join(z.zone_id for z in new)}) by {who}."

    return run


upload_tab, draw_tab, edit_tab, delete_tab = st.tabs(["Upload GeoJSON", "Draw", "Edit", "Delete"])
with upload_tab:
    upload = st.file_uploader(
        "GeoJSON FeatureCollection of zones", type=["geojson", "json"], key="zones_upload"
    )
    if upload is not None:
        parsed, problem = parse_upload(upload.getvalue())
        if problem:
            st.error(f"{upload.name}: {problem}")
        else:
            replaced = [z.zone_id for z in parsed if z.zone_id in by_id]
            st.dataframe(zones_frame(parsed), hide_index=True, width="stretch")
            if replaced:
                st.caption("Replaces " + ", ".join(replaced))
            if st.button(f"Save {len(parsed)} uploaded zones", key="save_upload"):
                commit(save(parsed, f"uploaded {upload.name}"))

with draw_tab:
    links = local_leaflet()
    st.caption(
        "Draw a polygon, rectangle, circle or line (a corridor) with the toolbar, then name it. "
        "An existing id replaces that zone's shape."
        + (
            ""
            if links
            else " Leaflet is not installed beside the dashboard (`make install` fetches it), so the "
            "drawing map loads it from its CDN: on a browser without internet access, upload GeoJSON."
        )
    )
    drawn = st_folium(
        draw_map(zone_list, chosen, links),
        key="draw_map",
        height=420,
        width=None,
        returned_objects=["last_active_drawing"],
    )
    shape = (drawn or {}).get("last_active_drawing")
    with st.form("drawn_zone"):
        c1, c2, c3 = st.columns(3)
        new_id = c1.text_input("Zone id", key="draw_id")
        new_name = c2.text_input("Name", key="draw_name")
        new_type = c3.selectbox("Type", TYPES, key="draw_type")
        c4, c5, c6 = st.columns(3)
        new_dwell = c4.number_input(
            "Dwell threshold (h, 0 = none)", min_value=0.0, value=0.0, key="draw_dwell"
        )
        new_locode = c5.text_input("UN/LOCODE", key="draw_locode")
        new_width = c6.number_input(
            "Corridor width (m, lines only)", min_value=0.0, value=20_000.0, key="draw_width"
        )
        if st.form_submit_button("Save drawn zone", key="save_drawn"):
            try:
                made = drawn_zone(
                    shape,
                    zone_id=new_id,
                    name=new_name,
                    zone_type=str(new_type),
                    dwell_h=new_dwell or None,
                    locode=new_locode,
                    width_m=new_width or None,
                )
            except CargotrailError as exc:
                st.error(f"Drawn zone: {exc}")
            else:
                commit(save([made], "drawn on the map"))

with edit_tab:
    if zone is None:
        st.caption("Pick a zone above to edit its name, type, dwell threshold or UN/LOCODE.")
    else:
        with st.form("edit_zone"):
            name = st.text_input("Name", value=zone.name, key="edit_name")
            kind = st.selectbox("Type", TYPES, index=TYPES.index(zone.zone_type.value), key="edit_type")
            hours = st.number_input(
                "Dwell threshold (h, 0 = none)",
                min_value=0.0,
                value=(zone.dwell_limit_s or 0.0) / 3600,
                key="edit_dwell",
            )
            locode = st.text_input("UN/LOCODE", value=zone.locode or "", key="edit_locode")
            if st.form_submit_button(f"Save {zone.zone_id}", key="save_edit"):
                edited = with_fields(
                    zone, name=name, zone_type=str(kind), dwell_h=hours or None, locode=locode
                )
                commit(save([edited], "edited"))

with delete_tab:
    if zone is None:
        st.caption("Pick a zone above to delete it.")
    else:
        sure = st.checkbox(f"Yes, delete {zone.zone_id}", key="confirm_delete")
        if st.button("Delete zone", key="delete_zone", disabled=not sure):
            gone = zone.zone_id
            commit(
                lambda: (
                    f"Deleted zone {gone} by {who}." if repo.delete_zone(gone, who) else f"No zone {gone}."
                )
            )

change_log()
