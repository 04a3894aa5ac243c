"""A run without anomalies never trips a rule."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import numpy as np

from cargotrail.contract.records import BizStep, ContainerClass, Reading
from cargotrail.settings import DEFAULT_THRESHOLDS
from services.simulator.geo import haversine_km
from tests.services.simulator.conftest import Run
from tests.services.simulator.rulecheck import SERVICE, ZoneIndex, detect


def _by_device(run: Run) -> dict[str, list[Reading]]:
    out = defaultdict(list)
    for r in run.readings:
        out[r.device_id].append(r)
    return out


def test_reference_detector_finds_nothing(normal_run: Run, zone_index: ZoneIndex) -> None:
    assert detect(normal_run.readings, normal_run.plans_at, zone_index) == []


def test_seq_time_and_gaps(normal_run: Run) -> None:
    for rs in _by_device(normal_run).values():
        seq = np.array([r.seq for r in rs])
        ts = np.array([r.ts.timestamp() for r in rs])
        assert (np.diff(seq) > 0).all() and (np.diff(ts) > 0).all()
        assert np.diff(ts).max() <= 3600.0


def test_batches_sorted_and_within_watermark(normal_run: Run) -> None:
    sim = normal_run.sim
    prev = None
    for b in sim.batches(6 * 3600.0):
        ts = [r.ts for r in b.readings]
        assert ts == sorted(ts) and all(t <= b.watermark for t in ts)
        assert prev is None or all(t > prev for t in ts)
        prev = b.watermark


def test_implied_speeds_and_sensors(normal_run: Run) -> None:
    classes = {p.container_id: p.container_class for p in normal_run.plans}
    for rs in _by_device(normal_run).values():
        lat = np.array([r.lat for r in rs])
        lon = np.array([r.lon for r in rs])
        dt = np.diff([r.ts.timestamp() for r in rs])
        assert (haversine_km(lat[:-1], lon[:-1], lat[1:], lon[1:]) / dt * 3600 <= 100.0).all()
        cls = classes[rs[0].container_id]
        limits = DEFAULT_THRESHOLDS[cls]
        assert max(r.shock_g or 0.0 for r in rs) < min(limits.shock_g, 2.01)
        if cls is ContainerClass.REEFER:
            assert all(-19.0 <= (r.temperature_c or 0.0) <= -17.0 for r in rs)
        assert all(0 < (r.battery_pct or 0.0) <= 100 and 0 < (r.hdop or 0.0) < 2.5 for r in rs)


def test_every_fix_in_plan_corridor_or_service_zone(normal_run: Run, zone_index: ZoneIndex) -> None:
    rs = normal_run.readings
    inside = zone_index.containing(np.array([r.lon for r in rs]), np.array([r.lat for r in rs]))
    doors = 0
    for r, zones in zip(rs, inside, strict=True):
        plan = [p for t, p in normal_run.plans_at[r.container_id] if t <= r.ts][-1]
        service = {z for z in zones if z.split(":")[0] in SERVICE}
        assert service or zones & set(plan.corridor_zone_ids), r
        assert not any(z.startswith("restricted:") for z in zones)
        if r.door_open:
            doors += 1
            assert any(z.startswith("depot:") for z in zones)
    assert doors > 0  # boxes are really opened at depots in three days


def test_sea_legs_stay_in_their_lane_corridors(normal_run: Run, zone_index: ZoneIndex) -> None:
    moving = [
        r
        for r in normal_run.readings
        if r.speed_kmh and 29.0 <= r.speed_kmh <= 41.0 and r.heading is not None
    ]
    inside = zone_index.containing(np.array([r.lon for r in moving]), np.array([r.lat for r in moving]))
    sea = [z for z in inside if not any(x.split(":")[0] in SERVICE for x in z)]
    assert sea and all(
        any(x.startswith("corridor:sea:") or x.startswith("corridor:truck:") for x in z) for z in sea
    )


def test_rfid_milestones_and_plans(normal_run: Run) -> None:
    steps = {r.biz_step for r in normal_run.rfid}
    assert {BizStep.ARRIVING, BizStep.LOADING, BizStep.UNLOADING, BizStep.DEPARTING} <= steps
    for r in normal_run.rfid:
        assert r.read_point.startswith(("terminal:", "customs:")) and r.tag_epc.endswith(r.container_id)
    first_reading: dict[str, datetime] = {}
    for reading in normal_run.readings:
        first_reading.setdefault(reading.container_id, reading.ts)
    for cid, ts in first_reading.items():  # a plan precedes the first reading
        assert normal_run.plans_at[cid][0][0] < ts
    reefer = [p for p in normal_run.plans if p.container_class is ContainerClass.REEFER]
    assert reefer and all((p.temp_min_c, p.temp_max_c) == (-25.0, -15.0) for p in reefer)


def test_fleet_is_staggered(normal_run: Run) -> None:
    first: dict[str, Reading] = {}
    for r in normal_run.readings:
        first.setdefault(r.device_id, r)
    speeds = np.array([r.speed_kmh for r in first.values()])
    assert (speeds == 0).any() and ((speeds > 28) & (speeds < 42)).any()
