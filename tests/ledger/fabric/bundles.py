"""A record anchored on the live Fabric network, exported as a proof bundle; and the fixture's capture.

``anchored_data(fabric, stream, data_dir)`` runs a small trip through the embedded runtime,
anchoring batches of 12 records on ``stream`` through ``fabric``, with the store in
``data_dir/cargotrail.sqlite`` (a data directory the CLI can be pointed at).

Run as a program to (re)capture the committed fixture of the offline tests::

    make fabric-up && .venv/bin/python -m tests.ledger.fabric.bundles tests/ledger/fabric/data

It writes ``bundle.json`` (the proof bundle of the trip's first reading, its block taken from
the network) and ``ca/<MSP id>.pem`` (the organisations' CA certificates of that network).
"""

from __future__ import annotations

import json
import sys
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from cargotrail.audit import export_bundle
from ledger.fabric.config import open_fabric_ledger
from ledger.fabric.ledger import FabricLedger
from ledger.fabric.trust import parse_org_cas
from store.sqlite import SqliteStore
from streams.runtimes.anchoring import LedgerAnchoring
from streams.runtimes.embedded import EmbeddedRuntime
from tests.conftest import T0
from tests.ledger.fabric.conftest import fabric_settings
from tests.streams import world

BATCH_RECORDS = 12


def anchored_data(fabric: FabricLedger, stream: str, data_dir: Path) -> tuple[SqliteStore, list[str]]:
    """The open store of a trip anchored on ``stream``, and its reading ids in time order."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteStore(data_dir / "cargotrail.sqlite")
    anchoring = LedgerAnchoring(fabric, store, stream=stream, max_records=BATCH_RECORDS, max_seconds=1e9)
    now = (T0 + timedelta(days=2)).timestamp()
    runtime = EmbeddedRuntime(
        world.processors(), store, max_future_s=1e9, now=lambda: now, anchoring=anchoring
    )
    readings = world.trip(world.BOX, device="TRK-A")
    for i in range(0, len(readings), 6):
        runtime.ingest(readings[i : i + 6])
    runtime.finish()
    rows = store.records_for(world.BOX, float("-inf"), float("inf"))
    return store, [r.record_id for r in rows if r.kind == "reading"]


def capture(out: Path) -> dict[str, Any]:
    """Anchor a fresh trip on the network of ``make fabric-up`` and write the fixture to ``out``."""
    settings = fabric_settings()
    fabric = open_fabric_ledger(settings)
    with tempfile.TemporaryDirectory() as run:
        store, readings = anchored_data(fabric, f"fixture-{uuid.uuid4().hex[:12]}", Path(run))
        try:
            bundle = export_bundle(store, fabric, readings[0])
        finally:
            store.close()
    (out / "bundle.json").write_text(json.dumps(bundle, indent=1) + "\n")
    (out / "ca").mkdir(exist_ok=True)
    for msp, pem in parse_org_cas(settings.fabric_org_cas).items():
        (out / "ca" / f"{msp}.pem").write_bytes(pem)
    return bundle


if __name__ == "__main__":
    captured = capture(Path(sys.argv[1]))
    print(f"captured bundle of record {captured['proof']['record_id']}, tx {captured['receipt']['tx_id']}")
