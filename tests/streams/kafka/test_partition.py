"""One partition's job, no broker: copies of readings (an ingest client's retry) are taken once."""

from __future__ import annotations

from cargotrail.kafka.codec import Readings, Tick
from streams.runtimes.kafka.partition import PartitionJob
from tests.streams.world import processors, trip


def job() -> PartitionJob:
    return PartitionJob(
        processors(), stream="test-p0", max_future_s=1e9, anchor_records=1000, anchor_seconds=3600
    )


def run(records: list[Readings | Tick]) -> tuple[list[str], int, int]:
    """The ids of the readings emitted, the copies dropped and the records anchored."""
    j, ids, dropped, anchored = job(), [], 0, 0
    for record in records:
        out = j.push(record)
        if out is not None:
            ids += [rid for _, rid, _ in out.readings]
            dropped += out.duplicates
            anchored += sum(b.header.size for b in out.anchors)
    return ids, dropped, anchored


def test_a_batch_sent_again_before_its_micro_batch_closed_is_taken_once():
    first, later = trip(steps=12), trip(steps=24)[12:]
    end = later[-1].ts.timestamp()
    once = run([Readings(readings=first), Readings(readings=later), Tick(source_time=end, final=True)])
    again = run(
        [
            Readings(readings=first),
            Readings(readings=first[5:]),  # the client's retry of part of the batch, at another offset
            Readings(readings=later),
            Tick(source_time=end, final=True),
        ]
    )
    assert once[1] == 0 and again[1] == len(first[5:])
    assert again[0] == once[0]  # the same readings, once each, in the same order
    assert again[2] == once[2] > 0  # and anchored once each
