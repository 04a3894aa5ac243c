"""The Kafka integration tests: a real broker from deploy/kafka (`make kafka-up` exports its address).

No broker is a failure, not a skip: a skipped parity or crash test would hide
exactly the gap it exists to catch.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from cargotrail.cli.run import RunRequest, run_simulation
from cargotrail.settings import Settings

# Small and seeded: anomalies of every kind, out-of-order readings, many anchor batches.
REQUEST = RunRequest(
    containers=40, duration_s=2 * 86400.0, seed=11, anomalies_per_kind=2, out_of_order_share=0.05
)


@pytest.fixture(scope="session")
def bootstrap(kafka_bootstrap: str) -> str:
    return kafka_bootstrap


@pytest.fixture(scope="session")
def embedded(tmp_path_factory) -> Stored:
    """The reference: REQUEST through the embedded runtime."""
    d = tmp_path_factory.mktemp("embedded")
    run_simulation(dataclasses.replace(Settings(), data_dir=d), REQUEST, progress=False)
    return stored(d)


def kafka_settings(tmp: Path, bootstrap: str, partitions: int) -> Settings:
    return dataclasses.replace(
        Settings(), data_dir=tmp, kafka_bootstrap=bootstrap, kafka_partitions=partitions, kafka_prefix="test"
    )


@dataclasses.dataclass
class Stored:
    """What a run left in its SQLite store, as comparable sets and sequences."""

    events: dict[str, bytes]  # id -> stored body
    alerts: dict[str, bytes]
    readings: dict[str, int]  # id -> flag
    roots: list[str]
    batch_sizes: int
    proofs: set[str]
    dead_letters: int


def stored(data_dir: Path) -> Stored:
    db = sqlite3.connect(data_dir / "cargotrail.sqlite")
    try:

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return db.execute(sql).fetchall()

        return Stored(
            events={r[0]: r[1] for r in rows("SELECT event_id, body FROM geofence_events")},
            alerts={r[0]: r[1] for r in rows("SELECT alert_id, body FROM alerts")},
            readings={r[0]: r[1] for r in rows("SELECT reading_id, flag FROM readings")},
            roots=[r[0] for r in rows("SELECT root FROM anchors ORDER BY rowid")],
            batch_sizes=sum(int(r[0]) for r in rows("SELECT size FROM anchors")),
            dead_letters=rows("SELECT count(*) FROM dead_letters")[0][0],
            # every anchored record id, from each batch's packed ids (32 characters each)
            proofs={
                bytes(packed[i : i + 32]).decode()
                for (packed,) in rows("SELECT record_ids FROM batch_leaves")
                for i in range(0, len(packed), 32)
            },
        )
    finally:
        db.close()
