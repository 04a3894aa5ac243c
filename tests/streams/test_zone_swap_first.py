"""A zone edit before the first reading (an admin saves zones on a fresh pipeline) swaps cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

from cargotrail.contract.records import Reading, ZoneType
from geofence.zones import circle_zone
from streams.processors.pipeline import Processors

GATE = circle_zone("RTM-GATE", "Gate", ZoneType.TERMINAL, 4.05, 51.95, 500)


def test_zones_replaced_before_any_reading_report_nothing_and_apply_to_the_first_fix():
    p = Processors([], lateness_s=0)
    swapped = p.replace_zones([GATE])
    assert swapped.events == [] and swapped.alerts == []
    fix = Reading(
        device_id="TRK-1",
        container_id="MSCU1234565",
        seq=1,
        ts=datetime(2026, 1, 5, 10, tzinfo=UTC),
        lat=51.95,
        lon=4.05,
    )
    out = p.process([fix])
    assert [(e.kind, e.zone_id) for e in out.events] == [("enter", "RTM-GATE")]
