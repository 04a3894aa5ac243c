"""Runtime wiring: build the embedded stack for a data directory, once, from settings.

This is the only place that knows which adapter goes with which setting; the
CLI and the services call it and get a ready pipeline back.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from cargotrail.errors import ConfigError
from cargotrail.settings import Settings
from geofence.zones import Zone, load_zones_file
from ledger.local import LocalLedger
from store.base import Repository

if TYPE_CHECKING:
    from ledger.fabric.ledger import FabricLedger
from store.buffered import BufferedStore
from store.sqlite import SqliteStore
from streams.runtimes.anchoring import LedgerAnchoring

ZONES_FILE = "zones.geojson"
LEDGER_DIR = "ledger"
EMBEDDED_STREAM = "embedded"
TRUTH_FILE = "ground_truth.jsonl"


def prepare_data_dir(settings: Settings, *, fresh: bool) -> Path:
    """Create the data directory; with ``fresh``, remove a previous run's state from it first."""
    d = settings.data_dir
    if fresh and d.exists():
        for name in (
            "cargotrail.sqlite",
            "cargotrail.sqlite-wal",
            "cargotrail.sqlite-shm",
            ZONES_FILE,
            TRUTH_FILE,
        ):
            (d / name).unlink(missing_ok=True)
        shutil.rmtree(d / "ledger", ignore_errors=True)
    elif not fresh and (d / "cargotrail.sqlite").exists():
        raise ConfigError(
            f"{d} already holds a run: pass --fresh to replace it, or point CARGOTRAIL_DATA_DIR "
            "at another directory"
        )
    d.mkdir(parents=True, exist_ok=True)
    return d


def zones_in_force(saved: list[Zone], from_file: list[Zone], *, edited: bool) -> tuple[list[Zone], str]:
    """The zones in force and where they come from: the store once any zone was edited, else the file.

    ``edited`` (the store's zone log is not empty) keeps the store in force even after every zone in
    it was deleted: the run's file must not come back.
    """
    return (saved, "store") if saved or edited else (from_file, "file")


def store_zones(settings: Settings, store: Repository | None = None) -> list[Zone] | None:
    """The store's zones once an admin changed any (the Zones page logs each change); else None.

    Without ``store``, the settings' store is opened for the question and closed again; an embedded
    data directory without a database has no saved zones, and none is created for asking.
    """
    if store is None:
        if not settings.store_url and not settings.sqlite_path.exists():
            return None
        opened = open_store(settings)
        try:
            return store_zones(settings, opened)
        finally:
            opened.close()
    zones, source = zones_in_force(store.zones(), [], edited=bool(store.zone_log(limit=1)))
    return zones if source == "store" else None


def load_zones(settings: Settings, store: Repository | None = None) -> list[Zone]:
    """The zones the pipeline checks readings against, read once when it starts.

    The store's, once any zone change was logged (an admin edited them on the Zones page, even if
    every zone was then deleted); until then the run's zones file. Raises ``ConfigError`` when there
    is neither.
    """
    saved = store_zones(settings, store)
    if saved is not None:
        return saved
    path = settings.data_dir / ZONES_FILE
    if not path.exists():
        raise ConfigError(f"no zones in {settings.data_dir}: run `cargotrail run` or `cargotrail demo` first")
    return load_zones_file(path)


def open_store(settings: Settings) -> Repository:
    """The store named by CARGOTRAIL_STORE_URL.

    Empty: SQLite in the data directory (the default). A postgresql:// URL:
    PostgreSQL/TimescaleDB, wrapped in ``BufferedStore`` so that the sink and
    the anchoring, which share it, ride out an outage together.
    """
    url = settings.store_url
    if not url:
        return SqliteStore(settings.sqlite_path)
    from store.postgres import PostgresStore, is_postgres_url  # psycopg only when asked for
    from store.postgres.errors import mask

    if not is_postgres_url(url):
        raise ConfigError(
            f"CARGOTRAIL_STORE_URL={mask(url)!r}: expected postgresql://user:password@host:port/database, "
            "or unset for the embedded SQLite store"
        )
    return BufferedStore(PostgresStore(url))


def open_ledger(settings: Settings) -> LocalLedger | FabricLedger:
    """The ledger named by CARGOTRAIL_LEDGER: ``local`` (the data directory's) or ``fabric``.

    Fabric is reached through the CARGOTRAIL_FABRIC_* settings (``make fabric-up`` writes them to
    ~/.cache/cargotrail/fabric-net/env); gRPC is imported only when Fabric is asked for.
    """
    if settings.ledger == "fabric":
        from ledger.fabric.config import open_fabric_ledger

        return open_fabric_ledger(settings)
    if settings.ledger != "local":
        raise ConfigError(f"CARGOTRAIL_LEDGER={settings.ledger!r}: expected 'local' or 'fabric'")
    return LocalLedger(settings.data_dir / LEDGER_DIR)


def ledger_anchoring(settings: Settings, store: Repository, stream: str = EMBEDDED_STREAM) -> LedgerAnchoring:
    return LedgerAnchoring(
        open_ledger(settings),
        store,
        stream=stream,
        max_records=settings.anchor_batch_records,
        max_seconds=settings.anchor_batch_seconds,
    )
