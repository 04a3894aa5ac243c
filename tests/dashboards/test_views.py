"""The pure data shaping behind the pages (dashboards/*_view.py, roles): no Streamlit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from cargotrail.audit import export_bundle, verify_bundle
from cargotrail.contract.records import (
    BizStep,
    ContainerClass,
    GeofenceEvent,
    GeofenceKind,
    RfidRead,
    VoyagePlan,
    ZoneType,
)
from cargotrail.contract.validate import Rejection
from dashboards import alerts_view, audit_view, container_view, feeds_view, roles
from dashboards.data import SEVERITY_ORDER
from ledger.local import LocalLedger
from store.base import AlertStatus, DeadLetter
from store.sqlite import SqliteStore

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(seeded):
    return SqliteStore(seeded / "cargotrail.sqlite")


def rfid(step: BizStep, hours: float, point: str = "terminal:NLRTM:T1") -> RfidRead:
    return RfidRead(
        tag_epc="urn:epc:id:giai:1.1",
        container_id="CSQU3054383",
        reader_id="r1",
        read_point=point,
        biz_step=step,
        ts=T0 + timedelta(hours=hours),
    )


def fence(kind: GeofenceKind, hours: float, zone: str = "terminal:NLRTM:T1") -> GeofenceEvent:
    return GeofenceEvent(
        event_id=f"{kind.value}-{hours}",
        kind=kind,
        container_id="CSQU3054383",
        device_id="d1",
        zone_id=zone,
        zone_type=ZoneType.TERMINAL,
        ts=T0 + timedelta(hours=hours),
        lat=51.9,
        lon=4.1,
        reading_id="x",
    )


def test_roles_match_the_api():
    assert [r for r in roles.ROLES if roles.may_triage(r)] == ["operator", "admin"]
    assert [r for r in roles.ROLES if roles.may_verify(r)] == ["operator", "auditor", "admin"]
    assert not roles.may_read("integrator")


def test_the_queue_puts_the_worst_then_the_oldest_first(store):
    rows = alerts_view.sort_queue(store.alerts())
    keys = [(SEVERITY_ORDER.index(r.alert.severity.value), r.alert.ts) for r in rows]
    assert keys == sorted(keys)
    assert all(r.status is not AlertStatus.RESOLVED for r in rows)
    frame = alerts_view.queue_frame(rows, T0)
    assert list(frame.columns) == alerts_view.QUEUE_COLUMNS and len(frame) == len(rows)


@pytest.mark.parametrize(
    ("seconds", "text"), [(59, "0m"), (45 * 60, "45m"), (3 * 3600 + 20 * 60, "3h 20m"), (50 * 3600, "2d 2h")]
)
def test_ages_are_short(seconds, text):
    assert alerts_view.age_text(seconds) == text


def test_an_alert_explains_itself_and_maps_its_evidence(store):
    alert = next(r.alert for r in store.alerts() if r.alert.explanation.evidence)
    why = alerts_view.explanation(alert)
    assert why["rule"] == alert.explanation.rule and why["evidence"] == alert.explanation.evidence
    assert set(why["table"]["parameter"]) == set(alert.explanation.threshold) | set(
        alert.explanation.observed
    )
    points = alerts_view.evidence_points(store, alert)
    assert set(points["what"]) <= {"evidence", "alert"} and not points.empty
    assert set(points.loc[points["what"] == "evidence", "record_id"]) <= set(alert.explanation.evidence)


def test_container_numbers_are_iso_6346():
    assert container_view.container_number(" csqu 305438 3") == "CSQU3054383"
    assert container_view.container_number("CSQU3054384") is None
    assert container_view.container_number("") is None


def test_milestones_use_dcsa_codes_and_a_read_explains_the_crossing():
    reads = [rfid(BizStep.ARRIVING, 0), rfid(BizStep.LOADING, 5), rfid(BizStep.STORING, 2)]
    events = [fence(GeofenceKind.ENTER, 0.1), fence(GeofenceKind.EXIT, 5.1), fence(GeofenceKind.ENTER, 30)]
    frame = container_view.milestones(reads, events)
    assert list(frame["code"]) == ["GTIN", "LOAD", "GTIN"]
    assert list(frame["source"]) == ["rfid", "rfid", "geofence"]
    assert set(frame["UN/LOCODE"]) == {"NLRTM"}


def test_visits_pair_entries_with_exits():
    frame = container_view.visits(
        [fence(GeofenceKind.EXIT, 3), fence(GeofenceKind.ENTER, 1), fence(GeofenceKind.ENTER, 9)]
    )
    assert list(frame["hours"].fillna(-1)) == [2.0, -1]
    assert list(frame["exited"]) == ["2026-03-01 11:00", ""]


def test_the_temperature_band_comes_from_the_newest_plan_that_sets_one(store):
    plain = VoyagePlan(container_id="C", origin="NLRTM", destination="SGSIN", corridor_zone_ids=[])
    reefer = VoyagePlan(
        container_id="C",
        origin="NLRTM",
        destination="SGSIN",
        corridor_zone_ids=[],
        container_class=ContainerClass.REEFER,
        temp_min_c=-25.0,
        temp_max_c=-15.0,
    )
    assert container_view.temperature_band([reefer, plain]) == (-25.0, -15.0)
    assert container_view.temperature_band([plain]) == (None, None)
    number = store.latest_positions()[0].container_id
    track = store.track(number, 0.0, float("inf"))
    frame = container_view.temperature_frame(track, (-25.0, -15.0))
    with_temp = sum(r.temperature_c is not None for r in track)
    assert len(frame) == 3 * with_temp
    assert len(container_view.track_path(container_view.track_frame(track))[0]["path"]) == len(track)


def test_anchors_and_bundles(store, seeded):
    frame = audit_view.anchors_frame(store.anchors(limit=100_000))
    assert frame["records"].sum() == audit_view.anchored_per_hour(frame)["records"].sum() > 0
    assert audit_view.anchored_per_hour(audit_view.anchors_frame([])).empty
    assert audit_view.parse_bundle(b"{not json")[0] is None
    rid = store.records_for(store.latest_positions()[0].container_id, 0.0, float("inf"))[0].record_id
    ledger = LocalLedger(seeded / "ledger")
    data, problem = audit_view.parse_bundle(json.dumps(export_bundle(store, ledger, rid)).encode())
    assert problem == "" and verify_bundle(data, ledger.public_key_pem).ok


def test_devices_and_dead_letters(store):
    devices = feeds_view.devices_frame(store, store.latest_positions(), None)
    assert len(devices) == 60 and devices["device"].is_unique
    assert feeds_view.per_source(devices)["devices"].sum() == 60

    def letter(i: int, reason: str) -> DeadLetter:
        rejection = Rejection(
            source="mqtt", position=i, record=f"#{i}", field="$.lat", reason=reason, raw="{}"
        )
        return DeadLetter(id=i, ts=0.0, rejection=rejection)

    letters = [
        letter(1, "Expected `float`, got `str`"),
        letter(2, "Expected `float`, got `null`"),
        letter(3, "x 91.5"),
    ]
    reasons = feeds_view.dlq_reasons(letters)
    assert list(reasons["count"]) == [2, 1]
    assert len(feeds_view.dlq_frame(letters)) == 3
