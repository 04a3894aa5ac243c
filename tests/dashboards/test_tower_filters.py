"""The control tower's filters, track playback and endorsements, with AppTest on a real seeded run."""

from __future__ import annotations

import json

import pytest
import shapely
from streamlit.testing.v1 import AppTest

from cargotrail.contract.carriers import CARRIER_PREFIXES
from cargotrail.wiring import ZONES_FILE
from dashboards.endorsements import key_fingerprint
from geofence.zones import load_zones_file
from ledger.local import LocalLedger
from store.sqlite import SqliteStore
from tests.dashboards.conftest import APP

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def open_page(data_dir, monkeypatch, path: str, role: str = "operator") -> AppTest:
    monkeypatch.setenv("CARGOTRAIL_DATA_DIR", str(data_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["role"], at.session_state["operator"] = role, ""
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def on_map(at: AppTest) -> set[str]:
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    return {
        row["container"]
        for layer in spec["layers"]
        if layer["id"].startswith("status-")
        for row in layer["data"]
    }


def test_unfiltered_the_kpis_add_up(seeded, monkeypatch):
    at = open_page(seeded, monkeypatch, "pages/tower.py")
    k = metrics(at)
    assert k["Containers tracked"] == "60"
    assert int(k["In port"]) + int(k["In transit"]) == 60
    assert len(on_map(at)) == 60
    assert len(at.dataframe[0].value) == int(k["Open alerts"])


def test_the_carrier_filter_narrows_map_kpis_and_queue(seeded, monkeypatch):
    store = SqliteStore(seeded / "cargotrail.sqlite")
    maersk = {
        p.container_id for p in store.latest_positions() if p.container_id[:3] in CARRIER_PREFIXES["Maersk"]
    }
    assert maersk
    at = open_page(seeded, monkeypatch, "pages/tower.py")
    at.multiselect(key="f_carrier").set_value(["Maersk"]).run()
    assert not at.exception, at.exception
    assert metrics(at)["Containers tracked"] == str(len(maersk))
    assert on_map(at) == maersk
    assert set(at.dataframe[0].value["container"]) <= maersk


def test_the_zone_filter_keeps_the_boxes_inside_it(seeded, monkeypatch):
    store = SqliteStore(seeded / "cargotrail.sqlite")
    positions = store.latest_positions()
    zones = [z for z in load_zones_file(seeded / ZONES_FILE) if z.zone_type.value == "port"]
    zone = max(zones, key=lambda z: sum(shapely.intersects_xy(z.geometry, p.lon, p.lat) for p in positions))
    inside = {p.container_id for p in positions if shapely.intersects_xy(zone.geometry, p.lon, p.lat)}
    assert inside
    at = open_page(seeded, monkeypatch, "pages/tower.py")
    at.selectbox(key="f_zone").set_value(zone.zone_id).run()
    assert on_map(at) == inside
    assert metrics(at)["In port"] == str(len(inside))  # a port zone: all of them are in port


def test_the_status_filter(seeded, monkeypatch):
    at = open_page(seeded, monkeypatch, "pages/tower.py")
    at.multiselect(key="f_status").set_value(["ok"]).run()
    flagged = {r.alert.container_id for r in SqliteStore(seeded / "cargotrail.sqlite").alerts()}
    shown = on_map(at)
    assert shown and not shown & flagged
    assert metrics(at)["Open alerts"] == "0"


def test_the_track_plays_back(seeded, monkeypatch):
    number = SqliteStore(seeded / "cargotrail.sqlite").latest_positions()[0].container_id
    at = open_page(seeded, monkeypatch, "pages/container.py")
    at.text_input(key="container").input(number).run()
    slider = at.slider(key="playback_step")
    last = int(slider.max)
    assert slider.value == last  # opens at the newest fix
    slider.set_value(0).run()
    assert not at.exception, at.exception
    assert "fix 1 of" in at.caption[0].value
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    layers = {layer["id"]: layer["data"] for layer in spec["layers"]}
    assert layers["travelled"] == []  # nothing travelled at the first fix
    assert len(layers["ahead"][0]["path"]) > 1 and len(layers["here"]) == 1
    at.toggle(key="playing").set_value(True).run()
    assert int(at.slider(key="playback_step").value) > 0  # playing moves forward


def test_the_audit_page_names_who_endorsed_a_batch(seeded, monkeypatch):
    at = open_page(seeded, monkeypatch, "pages/audit.py", role="auditor")
    assert set(at.dataframe[0].value["endorsed by"].str.split(" \\(").str[0]) == {"local ledger signer"}
    at.button(key="check_endorsement").click().run()
    assert not at.exception, at.exception
    fingerprint = key_fingerprint(LocalLedger(seeded / "ledger").public_key_pem)
    assert any("endorsed by local ledger signer" in s.value and fingerprint in s.value for s in at.success)
