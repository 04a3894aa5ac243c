"""Proofs verified through cargotrail.audit; bundles that verify offline."""

from __future__ import annotations

from cargotrail.audit import verify_bundle
from services.api import Role


def test_a_proof_with_its_anchor(served):
    rid = served.store.latest_positions()[0].reading_id
    body = served.get(f"/v1/proofs/{rid}", role=Role.AUDITOR).json()
    assert body["proof"]["record_id"] == rid
    assert body["anchor"]["batch_id"] == body["proof"]["batch_id"]
    assert body["anchor"]["root"]


def test_verification_passes_for_every_kind_of_record(served):
    alert = served.store.alerts()[0].alert
    position = served.store.latest_positions()[0]
    for rid, kind in ((position.reading_id, "reading"), (alert.alert_id, "alert")):
        check = served.get(f"/v1/proofs/{rid}/verify", role=Role.AUDITOR).json()
        assert check["ok"] is True and check["problem"] == ""
        assert (check["record_id"], check["kind"]) == (rid, kind)
        assert check["batch_id"] == served.store.proof(rid).batch_id


def test_unknown_records_are_404(served):
    for tail in ("", "/verify", "/bundle"):
        r = served.get(f"/v1/proofs/no-such-record{tail}", role=Role.AUDITOR)
        assert r.status_code == 404, tail
        assert "no-such-record" in r.json()["detail"]


def test_a_bundle_verifies_offline_with_the_ledger_key(served):
    from ledger.local import LocalLedger

    rid = served.store.latest_positions()[0].reading_id
    bundle = served.get(f"/v1/proofs/{rid}/bundle", role=Role.AUDITOR).json()
    key = LocalLedger(served.settings.data_dir / "ledger").public_key_pem
    assert verify_bundle(bundle, key).ok
    bundle["record"]["lat"] += 0.001
    assert not verify_bundle(bundle, key).ok


def test_a_doctored_record_fails_verification_with_the_reason(tmp_path):
    import sqlite3

    from fastapi.testclient import TestClient

    from cargotrail.cli.run import RunRequest, run_simulation
    from cargotrail.settings import Settings
    from services.api import TokenStore, create_app

    settings = Settings(data_dir=tmp_path)
    run_simulation(
        settings, RunRequest(containers=3, duration_s=86400, seed=5, anomalies_per_kind=0), progress=False
    )
    _, token = TokenStore.for_data_dir(tmp_path).create(Role.AUDITOR, "audrey")
    with sqlite3.connect(settings.sqlite_path) as db:
        rid, body = db.execute("SELECT reading_id, body FROM readings LIMIT 1").fetchone()
        db.execute(
            "UPDATE readings SET body = ? WHERE reading_id = ?", (body.replace(b'"lat":', b'"lat":1'), rid)
        )
    app = create_app(settings)
    with TestClient(app) as client:
        check = client.get(f"/v1/proofs/{rid}/verify", headers={"Authorization": f"Bearer {token}"}).json()
    app.state.ctx.store.close()
    assert check["ok"] is False and check["record_id"] == rid
    assert check["problem"] and check["expected"] != check["found"]
