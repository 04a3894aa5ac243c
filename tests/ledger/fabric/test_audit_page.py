"""The control tower's Audit page on a store anchored on the live Fabric network (Streamlit AppTest).

Who endorsed a batch is read from its block, checked against the organisations' CA certificates
(the auditor's, from CARGOTRAIL_FABRIC_ORG_CAS); a trail verifies against the Fabric ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ledger.fabric.ledger import FabricLedger
from tests.ledger.fabric.bundles import anchored_data
from tests.ledger.fabric.conftest import fabric_env
from tests.ledger.fabric.helpers import rogue_msp
from tests.streams import world

pytestmark = [pytest.mark.integration, pytest.mark.fabric]
APP = str(Path(__file__).resolve().parents[3] / "dashboards" / "app.py")


@pytest.fixture()
def data_dir(
    tmp_path: Path, fabric: FabricLedger, stream: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    store, _ = anchored_data(fabric, stream, tmp_path / "data")
    store.close()
    for key, value in (fabric_env() | {"CARGOTRAIL_LEDGER": "fabric"}).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CARGOTRAIL_DATA_DIR", str(tmp_path / "data"))
    st.cache_resource.clear()
    yield tmp_path / "data"
    st.cache_resource.clear()


def audit_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["role"], at.session_state["operator"] = "auditor", "Bea"
    at.switch_page("pages/audit.py").run()
    assert not at.exception, at.exception
    return at


def messages(at: AppTest) -> list[str]:
    return [m.value for m in [*at.success, *at.error, *at.warning]]


def test_the_audit_page_names_both_endorsing_organisations_from_the_block(data_dir: Path) -> None:
    at = audit_page()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Ledger"] == "fabric" and int(metrics["Anchored batches"]) >= 2
    batch = str(at.selectbox(key="endorse_batch").value)
    at.button(key="check_endorsement").click().run()
    assert not at.exception, at.exception
    (found,) = [m for m in messages(at) if m.startswith(f"Batch {batch}")]
    assert "endorsed by PortAuthorityMSP, CustomsMSP" in found and "· block " in found, found
    assert "(signed by OrdererMSP)" in found, found  # the block number is the orderer's, checked


def test_the_audit_page_verifies_a_trail_against_fabric(data_dir: Path) -> None:
    at = audit_page()
    at.text_input(key="trail_container").input(world.BOX)
    at.button(key="verify_trail").click().run()
    assert not at.exception, at.exception
    assert any(m.startswith(f"Trail of {world.BOX} intact") for m in messages(at)), messages(at)


def test_an_endorser_outside_the_auditors_cas_fails_the_check(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, rogue = rogue_msp(tmp_path / "rogue")
    (tmp_path / "rogue-ca.pem").write_bytes(rogue)
    cas = dict(part.split("=", 1) for part in fabric_env()["CARGOTRAIL_FABRIC_ORG_CAS"].split(","))
    cas["CustomsMSP"] = str(tmp_path / "rogue-ca.pem")
    monkeypatch.setenv("CARGOTRAIL_FABRIC_ORG_CAS", ",".join(f"{m}={p}" for m, p in cas.items()))
    st.cache_resource.clear()
    at = audit_page()
    batch = str(at.selectbox(key="endorse_batch").value)
    at.button(key="check_endorsement").click().run()
    assert not at.exception, at.exception
    (found,) = [m for m in messages(at) if m.startswith(f"Batch {batch}")]
    assert "endorsement check FAILED" in found and "endorser certificate (CustomsMSP)" in found, found
