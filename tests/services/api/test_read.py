"""Read endpoints against a seeded run: every answer matches what the store holds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from services.api import Role


@pytest.fixture(scope="module")
def busiest(served) -> str:
    """The container with the most RFID reads (it has been through terminals)."""
    return max(
        (p.container_id for p in served.store.latest_positions()), key=lambda c: len(served.store.rfid(c))
    )


def test_containers_are_the_latest_positions(served):
    body = served.get("/v1/containers").json()
    assert {p["container_id"] for p in body} == {p.container_id for p in served.store.latest_positions()}
    one = body[0]
    assert served.get(f"/v1/containers/{one['container_id']}").json() == one


def test_an_unknown_container_has_no_position_but_empty_histories(served):
    assert served.get("/v1/containers/ZZZU0000000").status_code == 404
    for tail in ("track", "events", "rfid", "dcsa-events"):
        r = served.get(f"/v1/containers/ZZZU0000000/{tail}")
        assert (r.status_code, r.json()) == (200, [])


def test_track_is_downsampled_and_bounded_by_time(served, busiest):
    full = served.get(f"/v1/containers/{busiest}/track", max_points=10_000).json()
    assert len(full) > 50 and all(r["type"] == "reading" and r["container_id"] == busiest for r in full)
    thin = served.get(f"/v1/containers/{busiest}/track", max_points=20).json()
    assert 2 <= len(thin) <= 21 and thin[0] == full[0] and thin[-1] == full[-1]
    mid = datetime.fromisoformat(full[len(full) // 2]["ts"])
    start, end = mid - timedelta(hours=3), mid + timedelta(hours=3)
    window = served.get(
        f"/v1/containers/{busiest}/track", start=start.isoformat(), end=end.isoformat()
    ).json()
    assert window and all(start <= datetime.fromisoformat(r["ts"]) <= end for r in window)
    assert window == [r for r in full if start <= datetime.fromisoformat(r["ts"]) <= end]


def test_track_refuses_a_bad_max_points(served, busiest):
    r = served.get(f"/v1/containers/{busiest}/track", max_points=1)
    assert r.status_code == 422


def test_naive_times_are_utc(served, busiest):
    aware = served.get(f"/v1/containers/{busiest}/events", start="2026-01-05T00:00:00+00:00").json()
    naive = served.get(f"/v1/containers/{busiest}/events", start="2026-01-05T00:00:00").json()
    assert aware == naive


def test_events_and_rfid_match_the_store(served, busiest):
    events = served.get(f"/v1/containers/{busiest}/events").json()
    assert [e["event_id"] for e in events] == [e.event_id for e in served.store.events(busiest)]
    rfid = served.get(f"/v1/containers/{busiest}/rfid").json()
    assert len(rfid) == len(served.store.rfid(busiest)) > 0
    assert {r["type"] for r in rfid} == {"rfid"}
    cut = datetime.fromisoformat(events[len(events) // 2]["ts"]).astimezone(UTC)
    later = served.get(f"/v1/containers/{busiest}/events", start=cut.isoformat()).json()
    assert later == [e for e in events if datetime.fromisoformat(e["ts"]) >= cut]


def test_dcsa_equipment_events_have_codes_and_unlocodes(served, busiest):
    events = served.get(f"/v1/containers/{busiest}/dcsa-events").json()
    assert events
    assert {e["equipmentEventTypeCode"] for e in events} <= {"GTIN", "GTOT", "LOAD", "DISC", "INSP"}
    assert {"DISC", "GTOT"} <= {e["equipmentEventTypeCode"] for e in events}
    for e in events:
        assert e["eventType"] == "EQUIPMENT" and e["eventClassifierCode"] == "ACT"
        assert e["equipmentReference"] == busiest
        assert re.fullmatch(r"[A-Z]{2}[A-Z2-9]{3}", e["eventLocation"]["UNLocationCode"])
    times = [datetime.fromisoformat(e["eventDateTime"]) for e in events]
    assert times == sorted(times)
    rfid_ids = {e["cargotrailRecordID"] for e in events if e["cargotrailSource"] == "rfid"}
    assert len(rfid_ids) == len([r for r in served.store.rfid(busiest) if r.biz_step.value != "storing"])


def test_dcsa_record_ids_have_proofs(served, busiest):
    event = served.get(f"/v1/containers/{busiest}/dcsa-events").json()[0]
    r = served.get(f"/v1/proofs/{event['cargotrailRecordID']}/verify", role=Role.AUDITOR)
    assert r.json()["ok"] is True


def test_alerts_are_listed_and_filtered(served):
    body = served.get("/v1/alerts").json()
    assert len(body) == len(served.store.alerts()) > 0
    assert all(row["alert"]["explanation"]["summary"] for row in body)
    container = body[0]["alert"]["container_id"]
    mine = served.get("/v1/alerts", container_id=container).json()
    assert mine and {row["alert"]["container_id"] for row in mine} == {container}
    assert len(served.get("/v1/alerts", limit=1).json()) == 1
    assert served.get("/v1/alerts", status="bogus").status_code == 422


def test_anchors_list_and_one(served):
    body = served.get("/v1/anchors", limit=5).json()
    assert len(body) == 5 and {a["type"] for a in body} == {"anchor"}
    one = served.get(f"/v1/anchors/{body[0]['batch_id']}").json()
    assert one == body[0]
    assert served.get("/v1/anchors/no-such-batch").status_code == 404
    streams = {a["stream"] for a in body}
    assert served.get("/v1/anchors", stream=streams.pop(), limit=5).json()
    assert served.get("/v1/anchors", stream="no-such-stream").json() == []
