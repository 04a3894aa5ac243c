"""Each anomaly rule fires exactly when it should, and explains itself."""

from __future__ import annotations

from cargotrail.contract.records import AlertKind, GeofenceKind
from tests.streams.world import BOX, REEFER, kinds, offset, processors, replace, run, trip


def test_a_normal_trip_raises_nothing_and_visits_the_zones():
    events, alerts = run(processors(), trip())
    assert alerts == []
    visited = [(e.kind, e.zone_id) for e in events]
    assert (GeofenceKind.EXIT, "NLRTM-PORT") in visited
    assert (GeofenceKind.ENTER, "DEPOT-EIN") in visited


def test_route_deviation_after_thirty_minutes_outside_the_corridor():
    t = trip()
    t[6:11] = [offset(r, 20) for r in t[6:11]]  # 20 km off the road for an hour
    _, alerts = run(processors(), t)
    assert kinds(alerts) == ["route_deviation"]
    a = alerts[0]
    assert (
        a.explanation.observed["outside_corridor_s"] >= a.explanation.threshold["outside_corridor_s"] == 1800
    )
    assert a.explanation.evidence[0] != a.explanation.evidence[-1]
    assert "corridor" in a.explanation.summary


def test_unscheduled_stop_on_the_road():
    t = trip()
    stop = t[8]
    t[9:22] = [replace(stop, seq=r.seq, ts=r.ts) for r in t[9:22]]  # 3 h 15 stationary
    for k, r in enumerate(t[22:], start=22):
        t[k] = replace(r, lat=stop.lat + 0.05 * (k - 21), lon=stop.lon + 0.05 * (k - 21))
    _, alerts = run(processors(), t)
    assert "unscheduled_stop" in kinds(alerts)
    stop_alert = next(a for a in alerts if a.kind is AlertKind.UNSCHEDULED_STOP)
    assert stop_alert.explanation.observed["stationary_s"] >= 7200


def test_door_opened_on_the_road_but_not_in_the_depot():
    t = trip()
    t[5] = replace(t[5], door_open=True)
    t[6] = replace(t[6], door_open=True)  # same episode: one alert
    t[-1] = replace(t[-1], door_open=True)  # in the depot: authorised
    _, alerts = run(processors(), t)
    assert kinds(alerts) == ["door_open_outside_zone"]


def test_reefer_excursion_needs_the_grace_period():
    t = trip(REEFER, temperature_c=-18.0)
    t[4] = replace(t[4], temperature_c=-5.0)  # one warm fix: a door-side sensor blip, no alert
    t[10:15] = [replace(r, temperature_c=-6.0) for r in t[10:15]]
    _, alerts = run(processors(), t)
    assert kinds(alerts) == ["temperature_excursion"]
    assert alerts[0].explanation.threshold["max_c"] == -15.0


def test_dry_boxes_have_no_temperature_band():
    _, alerts = run(processors(), trip(BOX, temperature_c=35.0))
    assert alerts == []


def test_shock_above_the_class_limit():
    t = trip()
    t[3] = replace(t[3], shock_g=7.5)
    t[4] = replace(t[4], shock_g=3.0)
    _, alerts = run(processors(), t)
    assert kinds(alerts) == ["shock"]
    assert alerts[0].explanation.observed["shock_g"] == 7.5


def test_gps_jump_is_filtered_before_geofences():
    t = trip()
    t[7] = replace(t[7], lat=t[7].lat + 5.0)  # ~550 km north in 15 minutes
    events, alerts = run(processors(), t)
    assert kinds(alerts) == ["gps_jump"]
    assert alerts[0].explanation.observed["implied_speed_kmh"] > 250
    jumped_id = alerts[0].explanation.evidence[-1]
    assert all(e.reading_id != jumped_id for e in events)


def test_signal_loss_fires_on_time_even_if_the_box_never_reports_again():
    quiet = trip(BOX, steps=6)
    chatty = trip(REEFER, device="TRK-B", steps=30, temperature_c=-18.0)
    _, alerts = run(processors(), sorted(quiet + chatty, key=lambda r: r.ts))
    assert kinds(alerts) == ["signal_loss"]
    a = alerts[0]
    assert a.container_id == BOX and a.explanation.threshold["silence_s"] == 3600


def test_restricted_zone_entry_is_critical():
    t = trip()
    t[9] = replace(t[9], lat=51.76, lon=4.75)  # one fix inside the naval area
    _, alerts = run(processors(), t)
    assert "restricted_zone_entry" in kinds(alerts)
    a = next(a for a in alerts if a.kind is AlertKind.RESTRICTED_ZONE_ENTRY)
    assert a.severity.value == "critical" and a.explanation.observed["zone_id"] == "NAVAL-1"
