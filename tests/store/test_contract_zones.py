"""Zones saved by admins, on both adapters: they read back equal, edits and deletions are logged by name."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import Polygon

from cargotrail.contract.records import ZoneType
from cargotrail.errors import StoreError
from geofence.zones import Zone, circle_zone, corridor_zone
from store.base import ZoneAction

QUAY = Zone(
    "NLRTM-T1",
    "Rotterdam quay",
    ZoneType.TERMINAL,
    Polygon([(4.0, 51.9), (4.1, 51.9), (4.1, 52.0), (4.0, 52.0)]),
    dwell_limit_s=7200.0,
    locode="NLRTM",
    properties={"colour": "#3366cc"},
)
GATE = circle_zone("NLRTM-GATE", "Gate", ZoneType.CUSTOMS, 4.05, 51.95, 400.0)
LANE = corridor_zone("LANE-1", "North Sea lane", [(3.0, 52.0), (4.0, 52.5)], 20_000.0)


def test_zones_read_back_equal_to_the_saved_ones(reopen):
    store = reopen()
    assert store.zones() == []
    assert store.save_zones([QUAY, GATE, LANE], "Ada") == 3
    again = reopen()  # another connection sees them
    assert again.zones() == sorted([QUAY, GATE, LANE], key=lambda z: z.zone_id)
    assert dict(again.zones()[1].properties)["radius_m"] == 400.0  # the circle is still a circle


def test_each_change_is_logged_with_the_operators_name(store):
    store.save_zones([QUAY], "Ada", note="new quay")
    wider = Zone(QUAY.zone_id, QUAY.name, QUAY.zone_type, QUAY.geometry.buffer(0.01), 3600.0, QUAY.locode)
    assert store.save_zones([wider], "Bea") == 1
    assert store.zones() == [wider]
    assert store.delete_zone(QUAY.zone_id, "Cy", note="quay closed")
    assert store.zones() == []
    log = store.zone_log()
    assert [(c.action, c.operator, c.note) for c in log] == [
        (ZoneAction.DELETED, "Cy", "quay closed"),
        (ZoneAction.UPDATED, "Bea", ""),
        (ZoneAction.CREATED, "Ada", "new quay"),
    ]
    assert log[0].ts >= log[1].ts >= log[2].ts
    created = json.loads(log[2].feature)
    expected = {"id": QUAY.zone_id, "name": QUAY.name, "type": "terminal", "dwell_limit_s": 7200.0}
    assert created["properties"] == {**expected, "locode": "NLRTM", "colour": "#3366cc"}
    assert json.loads(log[0].feature)["properties"]["dwell_limit_s"] == 3600.0  # as it was when deleted


def test_saving_an_unchanged_zone_changes_and_logs_nothing(store):
    assert store.save_zones([QUAY, GATE], "Ada") == 2
    assert store.save_zones([QUAY, GATE], "Bea") == 0
    assert [c.operator for c in store.zone_log()] == ["Ada", "Ada"]


def test_the_log_of_one_zone_and_its_limit(store):
    store.save_zones([QUAY, GATE, LANE], "Ada")
    store.delete_zone(GATE.zone_id, "Ada")
    assert [c.action for c in store.zone_log(GATE.zone_id)] == [ZoneAction.DELETED, ZoneAction.CREATED]
    assert len(store.zone_log(limit=2)) == 2


def test_deleting_a_missing_zone_is_false_and_unlogged(store):
    assert store.delete_zone("NOWHERE", "Ada") is False
    assert store.zone_log() == []


@pytest.mark.parametrize("who", ["", "   "])
def test_a_change_nobody_signed_is_refused_naming_the_zone(store, who):
    with pytest.raises(StoreError, match=r"NLRTM-T1.*operator's name"):
        store.save_zones([QUAY], who)
    store.save_zones([QUAY], "Ada")
    with pytest.raises(StoreError, match=r"NLRTM-T1.*operator's name"):
        store.delete_zone(QUAY.zone_id, who)
    assert store.zones() == [QUAY]


def test_zone_writes_join_the_unit_of_work(store):
    with pytest.raises(RuntimeError), store.unit_of_work():
        store.save_zones([QUAY], "Ada")
        raise RuntimeError("the micro-batch failed")
    assert store.zones() == [] and store.zone_log() == []
