"""The reorder buffer releases exactly what a plain sort on (ts, device, seq) releases, late or not."""

from __future__ import annotations

import bisect
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cargotrail.contract.records import Reading
from streams.processors.plans import PlanBook
from streams.processors.reorder import ReorderBuffer
from streams.processors.table import read_table_py
from tests.conftest import T0


class Reference:
    """The buffer's contract, one reading at a time: hold, sort by key, release up to the watermark."""

    def __init__(self, lateness_s: float) -> None:
        self.lateness_s, self.newest, self.until = lateness_s, float("-inf"), float("-inf")
        self.held: list[tuple[float, str, int, Reading]] = []

    def push(self, readings: list[Reading], source_time: float | None) -> tuple[list[Reading], list[Reading]]:
        late = [r for r in readings if r.ts.timestamp() <= self.until]
        for r in readings:
            if r.ts.timestamp() > self.until:
                self.newest = max(self.newest, r.ts.timestamp())
                self.held.append((r.ts.timestamp(), r.device_id, r.seq, r))
        if source_time is not None:
            self.newest = max(self.newest, source_time)
        return self.release(self.newest - self.lateness_s), late

    def release(self, until: float) -> list[Reading]:
        self.held.sort(key=lambda h: h[:3])
        cut = bisect.bisect_right([h[0] for h in self.held], until)
        out, self.held = self.held[:cut], self.held[cut:]
        if out:
            self.until = max(self.until, out[-1][0])
        if until != float("inf"):
            self.until = max(self.until, until)
        return [h[3] for h in out]


@st.composite
def arrivals(draw: st.DrawFn) -> list[tuple[list[Reading], float | None]]:
    """Batches of readings from a few devices (ties in time, device and seq included), with source times."""
    batches = []
    for _ in range(draw(st.integers(1, 8))):
        batch = [
            Reading(
                device_id=draw(st.sampled_from(["TRK-B", "TRK-A", "TRK-AA", "trk-a", "TRK-é"])),
                container_id="MSCU1234565",
                seq=draw(st.one_of(st.integers(0, 5), st.integers(2**64, 2**64 + 2))),
                ts=T0 + timedelta(seconds=draw(st.integers(0, 60)) * 30),
                lat=1.0,
                lon=2.0,
            )
            for _ in range(draw(st.integers(0, 12)))
        ]
        source = draw(st.one_of(st.none(), st.integers(0, 1800).map(lambda s: T0.timestamp() + s)))
        batches.append((batch, source))
    return batches


@settings(max_examples=300, deadline=None)
@given(arrivals(), st.sampled_from([0.0, 60.0, 600.0]))
def test_releases_equal_the_reference(batches, lateness):
    buffer, reference, plans = ReorderBuffer(lateness), Reference(lateness), PlanBook([])
    for readings, source in batches:
        released, late = buffer.push(read_table_py(readings, buffer.devices, plans), source)
        want_released, want_late = reference.push(readings, source)
        assert [id(r) for r in released.readings] == [id(r) for r in want_released]
        assert [id(r) for r in late.readings] == [id(r) for r in want_late]
        assert buffer.watermark == reference.until
    assert [id(r) for r in buffer.flush().readings] == [id(r) for r in reference.release(float("inf"))]
    assert len(buffer) == 0
