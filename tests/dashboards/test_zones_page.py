"""The Zones page (AppTest, a real seeded run): who may edit; upload, edit, delete; the change log."""

from __future__ import annotations

import json
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from cargotrail.wiring import ZONES_FILE
from geofence.zones import load_zones_file
from store.base import ZoneAction
from store.sqlite import SqliteStore
from tests.dashboards.conftest import APP

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")
GATE: dict[str, Any] = {
    "type": "Feature",
    "properties": {
        "id": "TEST-GATE",
        "name": "Test gate",
        "type": "customs",
        "radius_m": 300,
        "dwell_limit_s": 1800,
    },
    "geometry": {"type": "Point", "coordinates": [4.05, 51.95]},
}


def zones_page(data_dir, monkeypatch, *, role: str, name: str = "") -> AppTest:
    monkeypatch.setenv("CARGOTRAIL_DATA_DIR", str(data_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["role"], at.session_state["operator"] = role, name
    at.switch_page("pages/zones.py").run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, name: str, doc: object) -> AppTest:
    at.file_uploader(key="zones_upload").set_value((name, json.dumps(doc).encode(), "application/geo+json"))
    at.run()
    assert not at.exception, at.exception
    return at


def stored(data_dir) -> SqliteStore:
    return SqliteStore(data_dir / "cargotrail.sqlite")


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_readers_see_the_zones_but_no_edit_controls(seeded, monkeypatch, role):
    at = zones_page(seeded, monkeypatch, role=role, name="Olu")
    listed = at.dataframe[0].value
    assert len(listed) == len(load_zones_file(seeded / ZONES_FILE))
    assert {"zone", "type", "shape", "dwell threshold (h)"} <= set(listed.columns)
    assert "only an admin" in at.info[0].value
    assert not at.tabs and not at.file_uploader and not at.button
    assert len(at.get("deck_gl_json_chart")) == 1


def test_an_admin_must_give_a_name(seeded, monkeypatch):
    at = zones_page(seeded, monkeypatch, role="admin")
    assert "Enter your name" in at.warning[0].value
    assert not at.file_uploader


def test_an_admin_uploads_a_zone_and_the_change_is_logged_by_name(seeded, monkeypatch):
    at = upload(zones_page(seeded, monkeypatch, role="admin", name="Ada"), "gate.geojson", GATE)
    assert list(at.dataframe[1].value["zone"]) == ["TEST-GATE"]  # the preview
    at.button(key="save_upload").click().run()
    assert not at.exception, at.exception
    assert "Saved 1 of 1 zones (TEST-GATE) by Ada." in [s.value for s in at.success]
    assert "TEST-GATE" in set(at.dataframe[0].value["zone"])
    store = stored(seeded)
    ids = {z.zone_id for z in store.zones()}
    assert ids == {z.zone_id for z in load_zones_file(seeded / ZONES_FILE)} | {"TEST-GATE"}  # file copied in
    newest = store.zone_log(limit=1)[0]
    assert (newest.zone_id, newest.action, newest.operator, newest.note) == (
        "TEST-GATE",
        ZoneAction.CREATED,
        "Ada",
        "uploaded gate.geojson",
    )
    assert {c.note for c in store.zone_log(limit=10_000)} == {
        "uploaded gate.geojson",
        f"imported from {ZONES_FILE}",
    }
    assert at.dataframe[-1].value["by"].iloc[0] == "Ada"  # the change log on the page


def test_a_bad_upload_names_the_feature_and_the_field(seeded, monkeypatch):
    bad = {**GATE, "properties": {**GATE["properties"], "id": "BAD-1", "type": "harbour"}}
    at = upload(
        zones_page(seeded, monkeypatch, role="admin", name="Ada"),
        "bad.geojson",
        {"type": "FeatureCollection", "features": [GATE, bad]},
    )
    message = at.error[0].value
    assert message.startswith("bad.geojson: feature 1 (id 'BAD-1'): field 'type'"), message
    assert "save_upload" not in {b.key for b in at.button}


def test_an_admin_edits_then_deletes_a_zone(seeded, monkeypatch):
    at = zones_page(seeded, monkeypatch, role="admin", name="Bo")
    target = str(at.dataframe[0].value["zone"].iloc[0])
    at.selectbox(key="zone_choice").set_value(target).run()
    at.number_input(key="edit_dwell").set_value(5.0)
    at.text_input(key="edit_name").input("Renamed by Bo")
    at.button(key="save_edit").click().run()
    assert not at.exception, at.exception
    edited = {z.zone_id: z for z in stored(seeded).zones()}[target]
    assert (edited.name, edited.dwell_limit_s) == ("Renamed by Bo", 5 * 3600.0)
    assert stored(seeded).zone_log(target, limit=1)[0].action is ZoneAction.UPDATED

    at.selectbox(key="zone_choice").set_value(target).run()
    assert at.button(key="delete_zone").disabled  # not before the admin confirms
    at.checkbox(key="confirm_delete").check().run()
    at.button(key="delete_zone").click().run()
    assert not at.exception, at.exception
    assert f"Deleted zone {target} by Bo." in [s.value for s in at.success]
    assert target not in {z.zone_id for z in stored(seeded).zones()}
    assert [(c.action, c.operator) for c in stored(seeded).zone_log(target, limit=2)] == [
        (ZoneAction.DELETED, "Bo"),
        (ZoneAction.UPDATED, "Bo"),
    ]


def test_saving_a_drawing_needs_a_shape(seeded, monkeypatch):
    at = zones_page(seeded, monkeypatch, role="admin", name="Ada")
    at.text_input(key="draw_id").input("DRAWN-1")
    at.button(key="save_drawn").click().run()
    assert "draw a polygon, rectangle, circle or line" in at.error[0].value
    assert "DRAWN-1" not in {z.zone_id for z in stored(seeded).zones()}
