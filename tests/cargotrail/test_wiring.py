"""Which zones the pipeline starts with (cargotrail/wiring.py): the run's file until an admin edits them.

SQLite through the settings, as the services open it; PostgreSQL (the real server `make pg-up` starts,
one fresh schema per test) through the same repository contract.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from cargotrail.contract.records import ZoneType
from cargotrail.errors import ConfigError, StoreError
from cargotrail.kafka.topics import Namespace
from cargotrail.kafka.worker import worker_config
from cargotrail.settings import Settings
from cargotrail.wiring import ZONES_FILE, load_zones, store_zones, zones_in_force
from geofence.zones import Zone, circle_zone, zones_to_geojson
from store.base import Repository
from store.postgres import PostgresStore
from store.sqlite import SqliteStore

QUAY = circle_zone("terminal:QUAY", "Quay", ZoneType.TERMINAL, 4.05, 51.95, 800.0)
GATE = circle_zone("customs:GATE", "Gate", ZoneType.CUSTOMS, 4.06, 51.96, 300.0)
DEPOT = circle_zone("depot:NEW", "New depot", ZoneType.DEPOT, 4.10, 51.90, 500.0)


def ids(zones: list[Zone]) -> list[str]:
    return sorted(z.zone_id for z in zones)


@pytest.fixture
def run_dir(tmp_path: Path) -> Settings:
    """A data directory as `cargotrail run` leaves it: the run's zones file (the quay and the gate)."""
    (tmp_path / ZONES_FILE).write_text(json.dumps(zones_to_geojson([QUAY, GATE])))
    return Settings(data_dir=tmp_path)


def sqlite(settings: Settings) -> SqliteStore:
    return SqliteStore(settings.sqlite_path)


def test_the_rule():
    assert zones_in_force([], [QUAY], edited=False) == ([QUAY], "file")
    assert zones_in_force([GATE], [QUAY], edited=False) == ([GATE], "store")
    assert zones_in_force([], [QUAY], edited=True) == ([], "store")  # every zone deleted: none


def test_the_run_s_file_until_a_zone_is_edited(run_dir: Settings):
    assert ids(load_zones(run_dir)) == ids([QUAY, GATE])
    assert not run_dir.sqlite_path.exists()  # asking does not create a database
    sqlite(run_dir).close()  # the run's store, with no zone change logged
    assert ids(load_zones(run_dir)) == ids([QUAY, GATE])


def test_the_store_s_zones_once_an_admin_changed_any(run_dir: Settings):
    store = sqlite(run_dir)
    store.save_zones([QUAY, DEPOT], "Ada Admin", note="the gate closed, a depot opened")
    store.close()
    assert ids(load_zones(run_dir)) == ids([QUAY, DEPOT])


def test_every_zone_deleted_leaves_none_not_the_file(run_dir: Settings):
    store = sqlite(run_dir)
    store.save_zones([QUAY], "Ada Admin")
    assert store.delete_zone(QUAY.zone_id, "Ada Admin")
    store.close()
    assert load_zones(run_dir) == []


def test_no_zones_file_and_no_edits_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ConfigError, match=f"no zones in {tmp_path}"):
        load_zones(Settings(data_dir=tmp_path))


def test_saved_zones_need_no_zones_file(tmp_path: Path):
    settings = Settings(data_dir=tmp_path)
    store = sqlite(settings)
    store.save_zones([DEPOT], "Ada Admin")
    store.close()
    assert ids(load_zones(settings)) == [DEPOT.zone_id]


def test_a_kafka_worker_starts_with_the_edited_zones(run_dir: Settings):
    store = sqlite(run_dir)
    store.save_zones([DEPOT], "Ada Admin")
    store.close()
    processors = worker_config(run_dir, Namespace(prefix="wiring-test")).make_processors()
    assert [z.zone_id for z in processors.index.zones] == [DEPOT.zone_id]


@pytest.fixture
def pg_store() -> Iterator[Repository]:
    """A PostgresStore on a schema no other test uses (dropped afterwards)."""
    url = os.environ.get(
        "CARGOTRAIL_TEST_PG_URL", "postgresql://cargotrail:cargotrail@127.0.0.1:55432/cargotrail"
    )
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        store = PostgresStore(url, schema=schema)
    except StoreError as exc:
        pytest.fail(f"PostgreSQL unreachable ({exc}): start it with `make pg-up`", pytrace=False)
    yield store
    store.close()
    with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.mark.integration
def test_the_same_rule_on_postgresql(run_dir: Settings, pg_store: Repository):
    assert store_zones(run_dir, pg_store) is None
    assert ids(load_zones(run_dir, pg_store)) == ids([QUAY, GATE])
    pg_store.save_zones([DEPOT], "Ada Admin")
    assert ids(load_zones(run_dir, pg_store)) == [DEPOT.zone_id]
    assert pg_store.delete_zone(DEPOT.zone_id, "Ada Admin")
    assert load_zones(run_dir, pg_store) == []
