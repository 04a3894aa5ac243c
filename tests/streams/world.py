"""A tiny port-to-depot world for processor tests (Rotterdam area, real-ish geometry)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from cargotrail.contract import make_container_id
from cargotrail.contract.records import ContainerClass, Reading, VoyagePlan, ZoneType
from geofence.zones import Zone, circle_zone, corridor_zone
from streams.processors.pipeline import Processors
from tests.conftest import T0

PORT = (4.05, 51.95)
DEPOT = (5.45, 51.45)
BOX = make_container_id("HLX", 100)
REEFER = make_container_id("MSC", 200)


def zones() -> list[Zone]:
    return [
        circle_zone("NLRTM-PORT", "Rotterdam", ZoneType.PORT, *PORT, 8000),
        circle_zone("NLRTM-T1", "Maasvlakte terminal", ZoneType.TERMINAL, *PORT, 2500),
        circle_zone("DEPOT-EIN", "Eindhoven depot", ZoneType.DEPOT, *DEPOT, 3000, dwell_limit_s=5400),
        corridor_zone("ROAD-RTM-EIN", "A15/A2", [PORT, DEPOT], 6000),
        # A naval area 6 km beside the road: normal traffic never touches it.
        circle_zone("NAVAL-1", "Naval area", ZoneType.RESTRICTED, 4.75, 51.76, 1500),
    ]


def plan(container: str = BOX, cls: ContainerClass = ContainerClass.DRY) -> VoyagePlan:
    return VoyagePlan(
        container_id=container,
        origin="NLRTM",
        destination="NLEIN",
        corridor_zone_ids=["ROAD-RTM-EIN"],
        container_class=cls,
    )


def processors() -> Processors:
    p = Processors(zones(), lateness_s=600)
    p.add_plans([plan(BOX), plan(REEFER, ContainerClass.REEFER)])
    return p


def trip(
    container: str = BOX,
    *,
    device: str = "TRK-A",
    steps: int = 24,
    every_min: float = 15.0,
    start_min: float = 0.0,
    seq0: int = 0,
    **sensors: object,
) -> list[Reading]:
    """A truck going from the terminal to the depot in ``steps`` fixes, then waiting at the depot."""
    out = []
    for k in range(steps):
        f = min(k / (steps * 0.75), 1.0)
        lon = PORT[0] + f * (DEPOT[0] - PORT[0])
        lat = PORT[1] + f * (DEPOT[1] - PORT[1])
        out.append(
            Reading(
                device_id=device,
                container_id=container,
                seq=seq0 + k,
                ts=T0 + timedelta(minutes=start_min + k * every_min),
                lat=float(lat),
                lon=float(lon),
                door_open=False,
                **sensors,
            )
        )  # type: ignore[arg-type]
    return out


def replace(r: Reading, **changes: object) -> Reading:
    import msgspec

    return msgspec.structs.replace(r, **changes)


def offset(r: Reading, km_north: float) -> Reading:
    return replace(r, lat=r.lat + km_north / 111.2)


def run(p: Processors, readings: list[Reading], batch: int = 7):
    """Feed in micro-batches, flush, return (events, alerts)."""
    events, alerts = [], []
    for i in range(0, len(readings), batch):
        out = p.process(readings[i : i + batch])
        events += out.events
        alerts += out.alerts
    out = p.flush()
    return events + out.events, alerts + out.alerts


def kinds(alerts) -> list[str]:
    return sorted(a.kind.value for a in alerts)


__all__ = ["np"]
