"""Shared fixtures: where the real public test data lives, and small helpers."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cargotrail.contract import make_container_id
from cargotrail.contract.records import Reading

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
T0 = datetime(2026, 3, 2, tzinfo=UTC)
KAFKA_ENV = "CARGOTRAIL_TEST_KAFKA"


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """The real broker `make test` starts (``make kafka-up``); a test that needs it fails without it."""
    from cargotrail.kafka.topics import admin

    addr = os.environ.get(KAFKA_ENV)
    if not addr:
        pytest.fail(
            f"{KAFKA_ENV} is not set: start the broker with `make kafka-up` (make test does) and export it"
        )
    try:
        admin(addr).list_topics(timeout=10)
    except Exception as exc:
        pytest.fail(f"no Kafka broker answers at {KAFKA_ENV}={addr}: {exc}")
    return addr


@pytest.fixture(scope="session")
def shared_data() -> Path:
    assert SHARED_DATA.is_dir(), f"shared test data not found at {SHARED_DATA}"
    return SHARED_DATA


def reading(
    container: str = "",
    *,
    device: str = "TRK-1",
    seq: int = 0,
    minutes: float = 0.0,
    lat: float = 51.9,
    lon: float = 4.1,
    **sensors: object,
) -> Reading:
    """A plausible reading; ``minutes`` after T0."""
    return Reading(
        device_id=device,
        container_id=container or make_container_id("MSC", 1),
        seq=seq,
        ts=T0 + timedelta(minutes=minutes),
        lat=lat,
        lon=lon,
        **sensors,
    )  # type: ignore[arg-type]
