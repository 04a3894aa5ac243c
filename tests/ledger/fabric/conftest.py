"""Fixtures for the Fabric integration tests: the network `make fabric-up` started.

They FAIL (never skip) when it is not there: Fabric is part of `make test`.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from cargotrail.settings import Settings
from ledger.fabric.config import open_fabric_ledger
from ledger.fabric.ledger import FabricLedger
from ledger.fabric.trust import parse_org_cas

DEFAULT_ENV = Path.home() / ".cache/cargotrail/fabric-net/env"


def fabric_env() -> dict[str, str]:
    """The CARGOTRAIL_FABRIC_* settings `make fabric-up` wrote, as environment variables."""
    path = Path(os.environ.get("CARGOTRAIL_TEST_FABRIC_ENV", DEFAULT_ENV))
    if not path.exists():
        pytest.fail(f"no Fabric network settings at {path}: run `make fabric-up` (part of `make test`)")
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def fabric_settings() -> Settings:
    env = fabric_env()
    return Settings.from_env({**env, "CARGOTRAIL_LEDGER": "fabric", "CARGOTRAIL_FABRIC_TIMEOUT_S": "10"})


@pytest.fixture(scope="session")
def settings() -> Settings:
    return fabric_settings()


@pytest.fixture(scope="session")
def fabric(settings: Settings) -> FabricLedger:
    ledger = open_fabric_ledger(settings)
    try:
        ledger.tip("readiness-probe")
        ledger.wait_writable()  # a network just (re)started may not endorse or order yet
    except Exception as exc:
        pytest.fail(f"Fabric network at {settings.fabric_peer} is unreachable: {exc} (run `make fabric-up`)")
    return ledger


@pytest.fixture()
def org_cas(settings: Settings) -> dict[str, bytes]:
    return parse_org_cas(settings.fabric_org_cas)


@pytest.fixture()
def stream() -> str:
    """A stream no other test (or earlier run) has anchored to."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture()
def crypto_dir(settings: Settings) -> Path:
    return Path(settings.fabric_msp_dir).parents[
        4
    ]  # .../fabric-net/crypto/peerOrganizations/<org>/users/<u>/msp
