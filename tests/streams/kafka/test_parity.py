"""The Kafka runtime against the embedded reference: same seeded input, same results."""

from __future__ import annotations

import re

import pytest

from cargotrail.cli.kafka_run import run_on_kafka
from tests.streams.kafka.conftest import REQUEST, kafka_settings, stored

pytestmark = pytest.mark.integration


def test_one_partition_gives_identical_events_alerts_and_merkle_roots(embedded, bootstrap, tmp_path):
    # One partition = one anchoring stream fed the same records in the same order as the embedded
    # runtime's single stream, cut by the same ticks: so even the Merkle roots must match.
    report = run_on_kafka(
        kafka_settings(tmp_path, bootstrap, partitions=1), REQUEST, workers=1, progress=False
    )
    kafka = stored(tmp_path)
    assert embedded.alerts and embedded.events  # the input exercises both
    assert kafka.events == embedded.events
    assert kafka.alerts == embedded.alerts
    assert kafka.readings == embedded.readings
    assert kafka.roots == embedded.roots
    assert report["stored"]["proofs"] == len(embedded.proofs)


def test_four_partitions_two_workers_give_identical_events_and_alerts(embedded, bootstrap, tmp_path):
    # Four partitions = four anchoring streams, so the batches (and their roots) differ from the
    # embedded single stream; what must not differ is which records exist and that each is
    # anchored exactly once.
    run_on_kafka(kafka_settings(tmp_path, bootstrap, partitions=4), REQUEST, workers=2, progress=False)
    kafka = stored(tmp_path)
    assert kafka.events == embedded.events
    assert kafka.alerts == embedded.alerts
    assert kafka.readings == embedded.readings
    assert kafka.proofs == embedded.proofs
    assert kafka.batch_sizes == len(kafka.proofs)  # no record in two batches
    # Each worker capped its fetch wait (through Faust's and aiokafka's internals: this fails when
    # an upgrade moves them) and rebuilt the partitions it was given when they were assigned.
    logs = [f.read_text() for f in sorted((tmp_path / "workers").glob("worker-*.log"))]
    assert len(logs) == 2
    for text in logs:
        assert "consumer fetch wait capped at 50 ms" in text
        assert "cannot cap" not in text
    rebuilt = {
        int(m) for text in logs for m in re.findall(r"partition (\d+): rebuilding at assignment", text)
    }
    assert rebuilt == {0, 1, 2, 3}
