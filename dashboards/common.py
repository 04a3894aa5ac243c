"""What every page shares: settings, the store, the ledger, the zones and the sidebar's role."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from cargotrail.errors import ConfigError
from cargotrail.settings import Settings
from cargotrail.wiring import LEDGER_DIR, ZONES_FILE, open_ledger, open_store, store_zones
from dashboards.roles import ROLES, may_read
from geofence.zones import Zone, load_zones_file
from store.base import Repository

if TYPE_CHECKING:
    from ledger.fabric.ledger import FabricLedger
    from ledger.local import LocalLedger

PUBLIC_KEY_FILE = "signing_key.pub.pem"
MAP_STYLE = "light"  # CARTO's light basemap needs no token; offline the layers still draw, on white


@st.cache_resource
def settings() -> Settings:
    return Settings.from_env()


@st.cache_resource
def store(_settings: Settings) -> Repository:
    return open_store(_settings)


def ledger(s: Settings) -> LocalLedger | FabricLedger:
    """Opened per use: the anchoring process keeps appending to it."""
    return open_ledger(s)


def public_key(s: Settings) -> bytes | None:
    path = s.data_dir / LEDGER_DIR / PUBLIC_KEY_FILE
    return path.read_bytes() if path.exists() else None


@st.cache_resource
def _file_zones(path: str, mtime: float) -> list[Zone]:
    return load_zones_file(path)


def file_zones(s: Settings) -> list[Zone]:
    """The zones of the run's zones file (re-read when it changes)."""
    path = s.data_dir / ZONES_FILE
    return _file_zones(str(path), path.stat().st_mtime) if path.exists() else []


def zones(s: Settings, repo: Repository) -> tuple[list[Zone], str]:
    """The zones in force and where they come from (``store`` once an admin changed any, else ``file``).

    The same rule as the pipeline's (``cargotrail.wiring.load_zones``).
    """
    saved = store_zones(s, repo)
    return (saved, "store") if saved is not None else (file_zones(s), "file")


def org_cas(s: Settings) -> dict[str, bytes] | None:
    """The auditor's own CA certificates of the Fabric organisations (CARGOTRAIL_FABRIC_ORG_CAS), if set."""
    if not s.fabric_org_cas:
        return None
    from ledger.fabric.trust import parse_org_cas  # the Fabric protobufs only when used

    return parse_org_cas(s.fabric_org_cas)


def org_cas_or_problem(s: Settings) -> tuple[dict[str, bytes] | None, str]:
    """``org_cas`` and "", or None and what is wrong with the setting: a page shows it and goes on."""
    try:
        return org_cas(s), ""
    except ConfigError as exc:
        return None, str(exc)


def has_data(s: Settings) -> bool:
    return bool(s.store_url) or s.sqlite_path.exists()


def sidebar_identity() -> tuple[str, str]:
    """The operator's name and role (standing in for the API's token roles until SSO).

    Kept under plain session keys too (``operator``, ``role``): a widget's own state is dropped on a
    run that does not draw it, and the pages read who is at the desk from there.
    """
    state = st.session_state
    name = st.sidebar.text_input(
        "Operator name",
        value=state.get("operator", ""),
        key="operator_input",
        placeholder="who is at the desk",
    )
    current = str(state.get("role", ROLES[0]))
    chosen = st.sidebar.selectbox(
        "Role", ROLES, index=ROLES.index(current), key="role_input", help="what the API's token would allow"
    )
    state["operator"], state["role"] = name.strip(), str(chosen)
    return state["operator"], state["role"]


def role() -> str:
    return str(st.session_state.get("role", ROLES[0]))


def operator() -> str:
    return str(st.session_state.get("operator", "")).strip()


def require_reader() -> None:
    """Stop the page for a role that may not read (the integrator only ingests)."""
    if not may_read(role()):
        st.warning(f"The {role()} role only ingests readings: it may not read the control tower.")
        st.stop()
