"""Zones replaced mid-run (``Processors.replace_zones``): state is kept, the swap reports what changed."""

from __future__ import annotations

import dataclasses

from cargotrail.contract.records import AlertKind, GeofenceKind, Reading, ZoneType
from geofence.zones import circle_zone
from streams.processors.pipeline import Processors
from tests.streams.world import BOX, DEPOT, kinds, processors, run, trip, zones

QUARANTINE = circle_zone("QUARANTINE", "Quarantine bay", ZoneType.RESTRICTED, *DEPOT, 500)


def _feed(p: Processors, readings: list[Reading], batch: int = 7) -> tuple[list, list]:
    events, alerts = [], []
    for i in range(0, len(readings), batch):
        out = p.process(readings[i : i + batch])
        events += out.events
        alerts += out.alerts
    return events, alerts


def test_a_restricted_zone_drawn_around_a_parked_box_is_entered_at_the_swap_and_alerts():
    p = processors()
    _feed(p, trip())  # the box ends parked at the depot
    swap = p.replace_zones([*zones(), QUARANTINE])
    assert [(e.kind, e.zone_id, e.container_id) for e in swap.events] == [
        (GeofenceKind.ENTER, "QUARANTINE", BOX)
    ]
    assert swap.events[0].ts.timestamp() == swap.watermark
    assert kinds(swap.alerts) == ["restricted_zone_entry"]
    assert swap.alerts[0].explanation.evidence == [swap.events[0].reading_id, swap.events[0].event_id]
    rest = p.flush()  # the held fixes, still parked: nothing new, nothing stale
    assert [e for e in rest.events if e.zone_id == "QUARANTINE"] == []
    assert AlertKind.RESTRICTED_ZONE_ENTRY not in {a.kind for a in rest.alerts}


def test_a_deleted_zone_is_left_without_an_exit_and_a_tightened_dwell_limit_fires_at_the_swap():
    p = processors()
    _feed(p, trip())
    depot = next(z for z in zones() if z.zone_id == "DEPOT-EIN")
    kept = [z for z in zones() if z.zone_id not in ("DEPOT-EIN", "NLRTM-PORT")]
    swap = p.replace_zones([*kept, dataclasses.replace(depot, dwell_limit_s=600.0)])
    assert [(e.kind, e.zone_id) for e in swap.events] == [(GeofenceKind.DWELL_EXCEEDED, "DEPOT-EIN")]
    dwell = swap.events[0]
    assert dwell.ts.timestamp() == swap.watermark and dwell.dwell_s is not None and dwell.dwell_s > 600.0
    rest = p.flush()
    assert [e for e in rest.events if e.kind is GeofenceKind.EXIT] == []
    assert [e for e in rest.events if e.zone_id == "DEPOT-EIN"] == []  # fired once per visit


def test_swapping_in_the_same_zones_in_another_order_changes_nothing():
    readings = trip()
    plain_events, plain_alerts = run(processors(), readings)
    p = processors()
    events, alerts = _feed(p, readings[:10])
    swap = p.replace_zones(list(reversed(zones())))
    assert swap.events == [] and swap.alerts == []
    more_events, more_alerts = run(p, readings[10:])
    # Within one fix, events follow the zones' order, which the swap reversed.
    assert sorted(e.event_id for e in events + more_events) == sorted(e.event_id for e in plain_events)
    assert sorted(a.alert_id for a in alerts + more_alerts) == sorted(a.alert_id for a in plain_alerts)
    assert [e for e in plain_events if e.kind is GeofenceKind.ENTER]  # the trip does visit zones
