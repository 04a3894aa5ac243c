"""Settings, read once at process start into frozen objects.

Every setting comes from an environment variable ``CARGOTRAIL_<NAME>``; the
defaults run the embedded stack with nothing installed but the package.
``Settings.from_env()`` is called by the CLI and the services once, and the
result is passed down: no module reads the environment on its own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cargotrail.contract.records import ContainerClass
from cargotrail.errors import ConfigError


@dataclass(frozen=True)
class Thresholds:
    """Anomaly rule limits for one container class (see ``streams.processors.anomaly``)."""

    max_speed_kmh: float = 250.0  # a fix implying more than this is a GPS jump or spoof
    deviation_s: float = 1800.0  # outside the planned corridor this long = route deviation
    stop_s: float = 2 * 3600.0  # stationary outside allowed zones this long = unscheduled stop
    stop_radius_m: float = 500.0  # "stationary" = within this radius of where the stop began
    temp_min_c: float | None = None
    temp_max_c: float | None = None
    temp_grace_s: float = 1200.0  # out of band this long before an excursion is raised
    shock_g: float = 4.0
    signal_loss_factor: float = 4.0  # silent for factor x the report interval = signal loss
    signal_loss_min_s: float = 3600.0


DEFAULT_THRESHOLDS: Mapping[ContainerClass, Thresholds] = {
    ContainerClass.DRY: Thresholds(),
    ContainerClass.REEFER: Thresholds(temp_min_c=-25.0, temp_max_c=-15.0),
    ContainerClass.TANK: Thresholds(shock_g=3.0),
    ContainerClass.HAZARDOUS: Thresholds(shock_g=2.5, stop_s=3600.0, deviation_s=900.0),
}


ENV_NAMES = (
    "DATA_DIR",
    "BATCH_SIZE",
    "LATENESS_S",
    "MAX_FUTURE_S",
    "ANCHOR_BATCH_RECORDS",
    "ANCHOR_BATCH_SECONDS",
    "LEDGER",
    "STORE_URL",
    "DASHBOARD_PORT",
    "KAFKA_BOOTSTRAP",
    "KAFKA_PREFIX",
    "KAFKA_PARTITIONS",
    "FABRIC_PEER",
    "FABRIC_TLS_CA",
    "FABRIC_MSP_ID",
    "FABRIC_MSP_DIR",
    "FABRIC_CHANNEL",
    "FABRIC_CHAINCODE",
    "FABRIC_ORG_CAS",
    "FABRIC_TIMEOUT_S",
    "LIVE_RETAIN_CHANGES",
    "INBOX_COMPACT_READINGS",
)
"""Every ``CARGOTRAIL_<NAME>`` variable the settings read (docker-compose.yml is checked against it)."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path(".cargotrail")
    batch_size: int = 5000  # records per micro-batch through the processors
    lateness_s: float = 600.0  # device-time reorder window; later readings are "late"
    max_future_s: float = 300.0  # a reading stamped further ahead than this is rejected
    anchor_batch_records: int = 10_000  # a Merkle batch closes after this many records...
    anchor_batch_seconds: float = 5.0  # ...or this many seconds, whichever comes first
    ledger: str = "local"
    store_url: str = ""  # empty: SQLite in the data directory
    dashboard_port: int = 8501
    kafka_bootstrap: str = "127.0.0.1:19092"  # the Kafka runtime's broker (deploy/kafka's default port)
    kafka_prefix: str = "cargotrail"  # topic namespace: <prefix>.telemetry, <prefix>.events, ...
    kafka_partitions: int = 4  # partitions per topic: the Kafka runtime's unit of scale-out
    # CARGOTRAIL_LEDGER=fabric: the Gateway peer, its TLS CA, the client identity (an MSP folder), and
    # the organisations' CA certificates the auditor checks endorsements against (MSP=path,...).
    fabric_peer: str = ""  # host:port of a peer's Gateway service
    fabric_tls_ca: str = ""  # PEM file of the peer's TLS CA
    fabric_msp_id: str = ""
    fabric_msp_dir: str = ""  # folder with signcerts/ and keystore/
    fabric_channel: str = "cargotrail"
    fabric_chaincode: str = "anchors"
    fabric_org_cas: str = ""
    fabric_timeout_s: float = 10.0  # deadline of every Gateway call (commit status: 3x this)
    # The live feed's change log keeps this many newest changes; a client further behind must resync.
    live_retain_changes: int = 200_000
    # The embedded ingest inbox is compacted into a processors snapshot after this many readings.
    inbox_compact_readings: int = 500_000
    thresholds: Mapping[ContainerClass, Thresholds] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "cargotrail.sqlite"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str, default: str) -> str:
            assert name in ENV_NAMES, name
            return env.get(f"CARGOTRAIL_{name}", default)

        def number(name: str, default: float) -> float:
            raw = get(name, str(default))
            try:
                return float(raw)
            except ValueError:
                raise ConfigError(f"CARGOTRAIL_{name}={raw!r} is not a number") from None

        retain = int(number("LIVE_RETAIN_CHANGES", 200_000))
        if retain < 1:
            raise ConfigError(f"CARGOTRAIL_LIVE_RETAIN_CHANGES={retain}: keep at least 1 change")
        compact = int(number("INBOX_COMPACT_READINGS", 500_000))
        if compact < 1:
            raise ConfigError(
                f"CARGOTRAIL_INBOX_COMPACT_READINGS={compact}: compact after at least 1 reading"
            )
        ledger = get("LEDGER", "local")
        if ledger not in ("local", "fabric"):
            raise ConfigError(f"CARGOTRAIL_LEDGER={ledger!r}: expected 'local' or 'fabric'")
        return cls(
            data_dir=Path(get("DATA_DIR", ".cargotrail")),
            batch_size=int(number("BATCH_SIZE", 5000)),
            lateness_s=number("LATENESS_S", 600.0),
            max_future_s=number("MAX_FUTURE_S", 300.0),
            anchor_batch_records=int(number("ANCHOR_BATCH_RECORDS", 10_000)),
            anchor_batch_seconds=number("ANCHOR_BATCH_SECONDS", 5.0),
            ledger=ledger,
            store_url=get("STORE_URL", ""),
            dashboard_port=int(number("DASHBOARD_PORT", 8501)),
            kafka_bootstrap=get("KAFKA_BOOTSTRAP", "127.0.0.1:19092"),
            kafka_prefix=get("KAFKA_PREFIX", "cargotrail"),
            kafka_partitions=int(number("KAFKA_PARTITIONS", 4)),
            fabric_peer=get("FABRIC_PEER", ""),
            fabric_tls_ca=get("FABRIC_TLS_CA", ""),
            fabric_msp_id=get("FABRIC_MSP_ID", ""),
            fabric_msp_dir=get("FABRIC_MSP_DIR", ""),
            fabric_channel=get("FABRIC_CHANNEL", "cargotrail"),
            fabric_chaincode=get("FABRIC_CHAINCODE", "anchors"),
            fabric_org_cas=get("FABRIC_ORG_CAS", ""),
            fabric_timeout_s=number("FABRIC_TIMEOUT_S", 10.0),
            live_retain_changes=retain,
            inbox_compact_readings=compact,
        )
