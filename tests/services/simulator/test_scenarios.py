"""Injected anomalies: in the truth, in the data as described, and only their own rule trips."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

import numpy as np
import pytest

from cargotrail.contract.records import AlertKind
from services.simulator import SimConfig, Simulator, read_ground_truth, write_ground_truth
from services.simulator.geo import haversine_km
from services.simulator.scoring import score
from tests.services.simulator.conftest import ANOMALOUS, Run
from tests.services.simulator.rulecheck import ZoneIndex, detect


def _track(run: Run, cid: str):
    return [r for r in run.readings if r.container_id == cid]


def _window(rs, g, pad_s: float = 0.0):
    lo, hi = g.start - timedelta(seconds=pad_s), g.end + timedelta(seconds=pad_s)
    return [r for r in rs if lo <= r.ts <= hi]


def test_every_kind_is_in_the_truth(anomalous_run: Run) -> None:
    truths = anomalous_run.sim.ground_truth()
    assert Counter(t.kind for t in truths) == {k: 3 for k in AlertKind}
    per_container = Counter(t.container_id for t in truths)
    assert max(per_container.values()) == 1  # so never two within 12 h on one container
    start = ANOMALOUS.start
    assert all(start <= t.start <= t.end <= start + timedelta(seconds=ANOMALOUS.horizon_s) for t in truths)


def test_reference_detector_scores_perfectly(anomalous_run: Run, zone_index: ZoneIndex) -> None:
    found = detect(anomalous_run.readings, anomalous_run.plans_at, zone_index)
    report = score(found, anomalous_run.sim.ground_truth())  # duck-typed alerts: container_id, kind, ts
    for kind, row in report.items():
        assert row["precision"] == 1.0 and row["recall"] == 1.0, (kind, row)


def test_each_kind_shows_in_the_data(anomalous_run: Run, zone_index: ZoneIndex) -> None:
    for g in anomalous_run.sim.ground_truth():
        rs = _track(anomalous_run, g.container_id)
        inside = _window(rs, g)
        assert inside, g
        if g.kind is AlertKind.DOOR_OPEN_OUTSIDE_ZONE:
            assert 1 <= sum(r.door_open for r in inside) == len(inside) <= 3
        elif g.kind is AlertKind.SHOCK:
            assert len(inside) == 1 and 6.0 <= inside[0].shock_g <= 12.0
        elif g.kind is AlertKind.TEMPERATURE_EXCURSION:
            assert all(-8.0 <= r.temperature_c <= 0.0 for r in inside)
            assert (g.end - g.start) >= timedelta(hours=1) - timedelta(seconds=900)
        elif g.kind is AlertKind.SIGNAL_LOSS:
            assert [r.ts for r in inside] == [g.start, g.end]
            assert timedelta(hours=3) <= g.end - g.start <= timedelta(hours=8, minutes=15)
        elif g.kind is AlertKind.GPS_JUMP:
            before = [r for r in rs if r.ts < g.start][-1]
            assert 1 <= len(inside) <= 3
            d = haversine_km(before.lat, before.lon, inside[0].lat, inside[0].lon)
            assert 290.0 <= d <= 2100.0
        elif g.kind is AlertKind.UNSCHEDULED_STOP:
            lat, lon = np.array([r.lat for r in inside]), np.array([r.lon for r in inside])
            assert (haversine_km(lat[0], lon[0], lat, lon) <= 0.02).all()
            assert timedelta(hours=3) - timedelta(seconds=1800) <= g.end - g.start <= timedelta(hours=6)
        elif g.kind is AlertKind.RESTRICTED_ZONE_ENTRY:
            zones = zone_index.containing(
                np.array([r.lon for r in inside]), np.array([r.lat for r in inside])
            )
            assert 1 <= len(inside) <= 2 and all(any(z.startswith("restricted:") for z in zs) for zs in zones)
            assert all(any(z.startswith("corridor:sea:") for z in zs) for zs in zones)
        elif g.kind is AlertKind.ROUTE_DEVIATION:
            zones = zone_index.containing(
                np.array([r.lon for r in inside]), np.array([r.lat for r in inside])
            )
            assert all(not zs for zs in zones)  # off every zone, corridors included
            assert timedelta(hours=2) <= g.end - g.start <= timedelta(hours=6)


def test_ground_truth_file_roundtrip(anomalous_run: Run, tmp_path) -> None:
    path = tmp_path / "truth.jsonl"
    truths = anomalous_run.sim.ground_truth()
    write_ground_truth(path, truths)
    assert len(path.read_text().splitlines()) == len(truths)
    assert read_ground_truth(path) == truths


def test_out_of_order_readings_are_late_but_bounded() -> None:
    cfg = SimConfig(
        containers=40,
        seed=9,
        horizon_s=86400.0,
        anomalies_per_kind=0,
        out_of_order_share=0.05,
        max_delay_s=1800.0,
    )
    late, total, by_seq = 0, 0, defaultdict(list)
    for b in Simulator(cfg).batches(cfg.horizon_s, 900.0):
        for r in b.readings:
            total += 1
            by_seq[r.device_id].append(r.seq)
            lag = (b.watermark - r.ts).total_seconds()
            assert lag <= cfg.max_delay_s + 900.0
            late += lag > 900.0
    assert late > 0 and total == 40 * 96
    assert any(np.any(np.diff(s) < 0) for s in by_seq.values())  # really out of order


def test_more_anomalies_than_spots_places_fewer() -> None:
    sim = Simulator(
        SimConfig(
            containers=12, seed=2, horizon_s=86400.0, anomalies_per_kind={AlertKind.TEMPERATURE_EXCURSION: 50}
        )
    )
    truths = sim.ground_truth()
    assert all(t.kind is AlertKind.TEMPERATURE_EXCURSION for t in truths)
    assert len(truths) <= int(sim.fleet.is_reefer().sum())


@pytest.mark.parametrize("interval", [300.0, 3600.0])
def test_other_report_intervals_stay_unambiguous(interval: float, zone_index: ZoneIndex) -> None:
    from tests.services.simulator.conftest import collect

    run = collect(
        SimConfig(
            containers=120, seed=4, horizon_s=3 * 86400.0, anomalies_per_kind=1, report_interval_s=interval
        )
    )
    found = detect(run.readings, run.plans_at, zone_index, interval)
    report = score(found, run.sim.ground_truth())
    assert all(r["precision"] == 1.0 and r["recall"] == 1.0 for r in report.values()), report
