"""Proof bundles of records anchored on the live Fabric network: exported, then verified offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cargotrail.audit import export_bundle, verify_bundle, verify_record
from cargotrail.cli.main import app
from cargotrail.settings import Settings
from ledger.fabric.ledger import FabricLedger
from tests.cargotrail.audit.tamper import flip_hex
from tests.ledger.fabric.bundles import anchored_data
from tests.ledger.fabric.conftest import fabric_env
from tests.ledger.fabric.tamper import replace_in_block

pytestmark = [pytest.mark.integration, pytest.mark.fabric]
runner = CliRunner()
ORGS = ["CustomsMSP", "PortAuthorityMSP"]


def _msp_folders(tmp_path: Path, settings: Settings) -> Path:
    """The organisations' public MSP folders (the orderer organisation's too), named by MSP id."""
    folder = tmp_path / "orgs"
    folder.mkdir()
    for part in settings.fabric_org_cas.split(","):
        msp, _, ca = part.partition("=")
        (folder / msp).symlink_to(Path(ca).parents[1] / "msp")  # .../peerOrganizations/<org>/{ca,msp}
    return folder


def test_export_on_fabric_then_verify_offline(
    tmp_path: Path, fabric: FabricLedger, settings: Settings, stream: str
) -> None:
    data = tmp_path / "data"
    store, readings = anchored_data(fabric, stream, data)
    try:
        assert verify_record(store, fabric, readings[-1]).ok  # online: the block fetched with qscc
    finally:
        store.close()
    online = fabric_env() | {"CARGOTRAIL_DATA_DIR": str(data), "CARGOTRAIL_LEDGER": "fabric"}
    exported = runner.invoke(app, ["proof", "export", readings[-1]], env=online)
    assert exported.exit_code == 0, exported.output
    bundle = json.loads(exported.stdout)
    assert bundle["ledger"]["kind"] == "fabric" and bundle["receipt"]["ledger"] == "fabric"
    path = tmp_path / "bundle.json"
    path.write_text(exported.stdout)

    offline = {"CARGOTRAIL_DATA_DIR": str(tmp_path / "elsewhere"), "CARGOTRAIL_FABRIC_ORG_CAS": ""}
    orgs = _msp_folders(tmp_path, settings)
    r = runner.invoke(app, ["verify", "--bundle", str(path), "--ca-certs", str(orgs), "--json"], env=offline)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["ok"] is True and out["record_id"] == readings[-1] and sorted(out["endorsed_by"]) == ORGS
    assert (
        out["anchored_in"]
        == f"fabric block {bundle['receipt']['block']} signed by OrdererMSP, tx {bundle['receipt']['tx_id']}"
    )


def test_an_altered_block_in_a_live_bundle_is_refused(
    tmp_path: Path, fabric: FabricLedger, org_cas: dict[str, bytes], stream: str
) -> None:
    store, readings = anchored_data(fabric, stream, tmp_path / "data")
    try:
        bundle = json.loads(json.dumps(export_bundle(store, fabric, readings[0])))
    finally:
        store.close()
    assert verify_bundle(bundle, org_cas=org_cas).ok
    root = bundle["receipt"]["root"]
    check = verify_bundle(replace_in_block(bundle, root, flip_hex(root)), org_cas=org_cas)
    assert not check.ok and "data hash" in check.problem
