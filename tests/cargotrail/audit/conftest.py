"""A real anchored data set: the embedded runtime on the tiny world, SQLite and a local ledger in tmp_path.

Anchor batches close every 7 records, so a trail spans several batches. The
data set holds every anchored kind: in-order, late and GPS-jump readings,
RFID reads, geofence events and alerts. The layout is a data directory
(``cargotrail.sqlite``, ``ledger/``), so the CLI can be pointed at it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cargotrail.contract.records import BizStep, RfidRead
from ledger.local import LOG_NAME, LocalLedger
from store.sqlite import SqliteStore
from streams.runtimes.anchoring import LedgerAnchoring
from streams.runtimes.embedded import EmbeddedRuntime
from tests.conftest import T0
from tests.streams import world

STREAM = "embedded"
NOW = (T0 + timedelta(days=2)).timestamp()


@dataclass
class DataSet:
    """The anchored data directory with its store and ledger open."""

    root: Path
    store: SqliteStore
    ledger: LocalLedger

    @property
    def log(self) -> Path:
        return self.root / "ledger" / LOG_NAME

    def sql(self, statement: str, *args: object) -> list[tuple[Any, ...]]:
        """Run SQL on the store file behind the store's back, as a tamperer would."""
        db = sqlite3.connect(self.root / "cargotrail.sqlite")
        try:
            with db:
                return db.execute(statement, args).fetchall()
        finally:
            db.close()

    def reopen_ledger(self) -> LocalLedger:
        self.ledger = LocalLedger(self.root / "ledger")
        return self.ledger


def gate_read(minutes: float) -> RfidRead:
    return RfidRead(
        tag_epc="urn:epc:id:giai:4000001.100",
        container_id=world.BOX,
        reader_id="NLRTM-GATE-1",
        read_point="NLRTM-G1",
        biz_step=BizStep.DEPARTING,
        ts=T0 + timedelta(minutes=minutes),
    )


def build(root: Path) -> DataSet:
    store = SqliteStore(root / "cargotrail.sqlite")
    ledger = LocalLedger(root / "ledger")
    anchoring = LedgerAnchoring(ledger, store, stream=STREAM, max_records=7, max_seconds=1e9)
    runtime = EmbeddedRuntime(
        world.processors(), store, max_future_s=1e9, now=lambda: NOW, anchoring=anchoring
    )
    box = world.trip(world.BOX, device="TRK-A")
    box[10] = world.offset(box[10], 150.0)  # 150 km in 15 minutes: a GPS jump
    late, box = box[3], box[:3] + box[4:]  # held back until the watermark has passed it
    reefer = world.trip(world.REEFER, device="TRK-B", temperature_c=-5.0)  # too warm: excursion alerts
    readings = sorted(box + reefer, key=lambda r: r.ts)
    for i in range(0, len(readings), 6):
        runtime.ingest(readings[i : i + 6], rfid=[gate_read(2.0)] if i == 0 else [])
    runtime.ingest([late], rfid=[gate_read(400.0)])
    runtime.finish()
    return DataSet(root=root, store=store, ledger=ledger)


@pytest.fixture
def data(tmp_path: Path) -> Iterator[DataSet]:
    ds = build(tmp_path)
    yield ds
    ds.store.close()
