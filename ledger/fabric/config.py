"""Building a ``FabricLedger`` from settings: the Gateway connection, the client identity, the org CAs."""

from __future__ import annotations

from pathlib import Path

from cargotrail.errors import ConfigError
from cargotrail.settings import Settings
from ledger.fabric.gateway import Gateway, connect
from ledger.fabric.identity import load_msp_dir
from ledger.fabric.ledger import FabricLedger
from ledger.fabric.trust import parse_org_cas

__all__ = ["open_fabric_ledger", "parse_org_cas"]  # parse_org_cas lived here first


def open_fabric_ledger(settings: Settings) -> FabricLedger:
    """The Fabric ledger the CARGOTRAIL_FABRIC_* settings describe; ConfigError naming what is missing."""
    missing = [
        f"CARGOTRAIL_FABRIC_{name}"
        for name, value in (
            ("PEER", settings.fabric_peer),
            ("TLS_CA", settings.fabric_tls_ca),
            ("MSP_ID", settings.fabric_msp_id),
            ("MSP_DIR", settings.fabric_msp_dir),
        )
        if not value
    ]
    if missing:
        raise ConfigError(f"CARGOTRAIL_LEDGER=fabric needs {', '.join(missing)} (make fabric-up writes them)")
    try:
        tls_ca = Path(settings.fabric_tls_ca).read_bytes()
    except OSError as exc:
        raise ConfigError(f"CARGOTRAIL_FABRIC_TLS_CA: {exc}") from exc
    signer = load_msp_dir(settings.fabric_msp_dir, settings.fabric_msp_id)
    gateway = Gateway(
        connect(settings.fabric_peer, tls_ca),
        signer,
        settings.fabric_channel,
        settings.fabric_chaincode,
        timeout_s=settings.fabric_timeout_s,
        commit_timeout_s=3 * settings.fabric_timeout_s,
    )
    return FabricLedger(gateway, parse_org_cas(settings.fabric_org_cas))
