"""Pacing without waiting: fake sleep and monotonic clock."""

from __future__ import annotations

import pytest

from services.simulator import SimConfig, Simulator
from services.simulator.clock import FastClock, RealTimeClock


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s


def _sim() -> Simulator:
    return Simulator(SimConfig(containers=5, horizon_s=86400.0, anomalies_per_kind=0))


def test_fast_clock_yields_everything() -> None:
    assert len(list(FastClock().pace(_sim().batches(3600.0, 900.0)))) == 4


def test_real_time_clock_compresses_device_time() -> None:
    fake = FakeTime()
    clock = RealTimeClock(60.0, sleep=fake.sleep, monotonic=fake.monotonic)
    sim = _sim()
    out = list(clock.pace(sim.batches(3600.0, 900.0), start=sim.config.start))
    assert len(out) == 4
    assert fake.slept == pytest.approx([15.0, 15.0, 15.0, 15.0])  # 900 s of device time per 15 s at 60x
    assert fake.now == pytest.approx(160.0)


def test_real_time_clock_does_not_sleep_when_behind() -> None:
    fake = FakeTime()
    clock = RealTimeClock(1e9, sleep=fake.sleep, monotonic=fake.monotonic)
    list(clock.pace(_sim().batches(3600.0, 900.0)))
    assert all(s < 1e-3 for s in fake.slept)
    with pytest.raises(ValueError):
        RealTimeClock(0.0)
