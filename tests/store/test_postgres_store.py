"""PostgreSQL specifics: migrations once, COPY idempotency, PostGIS zones, errors translated with ids."""

from __future__ import annotations

import threading

import psycopg
import pytest
import shapely

from cargotrail.contract import make_container_id, reading_id
from cargotrail.contract.records import ZoneType
from cargotrail.contract.validate import Rejection
from cargotrail.errors import StoreError, StoreUnavailable
from geofence.zones import Zone
from store.postgres import PostgresStore
from store.postgres.migrate import migration_files
from tests.conftest import reading
from tests.store.test_contract import alert

pytestmark = pytest.mark.integration
BOX = make_container_id("MAE", 9)


def test_migrations_apply_once_even_when_processes_start_together(pg_store):
    errors: list[BaseException] = []

    def start() -> None:
        try:
            pg_store()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    store = pg_store()
    rows = store._read("versions", "SELECT version, name FROM schema_version ORDER BY version")
    assert rows == [(v, n) for v, n, _ in migration_files()]
    with pytest.raises(StoreError, match="created with the partitioned layout"):
        pg_store(layout="timescale")


def test_copy_writes_are_idempotent_by_id_and_positions_never_go_back(pg_store):
    store = pg_store()
    rs = [reading(BOX, seq=i, minutes=i, lat=float(i)) for i in range(2000)]
    ids = [reading_id(r.device_id, r.seq) for r in rs]
    assert store.write_readings(rs, ids) == 2000
    assert store.write_readings(rs[:10] + rs[:10], ids[:10] + ids[:10]) == 0  # replay, duplicates inside too
    assert store.write_readings(rs[5:7], ids[5:7]) == 0
    (pos,) = store.latest_positions()
    assert pos.reading_id == ids[-1] and pos.lat == 1999.0
    with store.unit_of_work():
        assert store.write_alerts([alert(1), alert(2)]) == 2
        assert store.write_alerts([alert(1)]) == 0
    rejection = Rejection(source="http", position=0, record="#0", field="lat", reason="nan", raw="{}")
    assert store.write_dead_letters([rejection, rejection], ts=1.0) == 1  # a retried batch adds nothing
    assert store.write_dead_letters([rejection], ts=1.0) == 0
    assert store.counts()["readings"] == 2000
    assert store._read("dupes", "SELECT count(*) - count(DISTINCT reading_id) FROM readings") == [(0,)]


def test_mismatched_ids_are_refused_before_anything_is_written(pg_store):
    store = pg_store()
    with pytest.raises(StoreError, match="2 readings but 1 ids"):
        store.write_readings([reading(BOX, seq=1), reading(BOX, seq=2)], ["x"])


def test_zones_are_queryable_with_postgis(pg_store):
    store = pg_store()
    quay = Zone("NLRTM-T1", "Rotterdam quay", ZoneType.TERMINAL, shapely.box(4.0, 51.8, 4.2, 52.0))
    assert store.put_zones([quay]) == 1
    assert store.put_zones([quay]) == 1  # replaced, not duplicated
    inside, outside = make_container_id("MSC", 1), make_container_id("MSC", 2)
    store.write_readings([reading(inside, lat=51.9, lon=4.1)], ["r1"])
    store.write_readings([reading(outside, device="TRK-2", lat=10.0, lon=10.0)], ["r2"])
    assert [p.container_id for p in store.containers_in_zone("NLRTM-T1")] == [inside]
    rows = store._read("sql", "SELECT container_id FROM containers_in_zones WHERE zone_id = 'NLRTM-T1'")
    assert rows == [(inside,)]


def test_an_unreachable_server_is_store_unavailable_naming_it_without_the_password():
    with pytest.raises(StoreUnavailable, match=r"127\.0\.0\.1:1/x") as info:
        PostgresStore("postgresql://u:secret@127.0.0.1:1/x", connect_timeout_s=1.0)
    assert "secret" not in str(info.value) and "***" in str(info.value)


def test_a_refused_login_is_a_store_error_not_a_retry(pg_url, pg_schema):
    bad = pg_url.replace("cargotrail:cargotrail@", "cargotrail:wrong@")
    with pytest.raises(StoreError, match="password authentication failed") as info:
        PostgresStore(bad, schema=pg_schema)
    assert not isinstance(info.value, StoreUnavailable)


def test_errors_inside_a_unit_name_the_ids_and_roll_everything_back(pg_store, pg_url, pg_schema):
    store = pg_store()
    with psycopg.connect(pg_url, autocommit=True) as conn:  # sabotage: a constraint the data breaks
        conn.execute(f"ALTER TABLE {pg_schema}.alerts ADD CONSTRAINT no_a2 CHECK (alert_id <> 'a2')")
    with (
        pytest.raises(StoreError, match=r"writing alerts a1 \.\. a2 \(2\).*SQLSTATE 23514"),
        store.unit_of_work(),
    ):
        store.write_readings([reading(BOX, seq=1)], [reading_id("TRK-1", 1)])
        store.write_alerts([alert(1), alert(2)])
    assert store.counts()["readings"] == 0
