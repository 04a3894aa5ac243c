"""The network refuses clients it should not trust (integration)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from cargotrail.errors import LedgerUnavailable, VerificationError
from ledger.fabric.audit import check_block
from ledger.fabric.errors import FabricError
from ledger.fabric.gateway import Gateway, connect
from ledger.fabric.identity import Signer, load_msp_dir
from tests.ledger.fabric.helpers import headers, rogue_msp

pytestmark = [pytest.mark.integration, pytest.mark.fabric]


def _gateway(settings, signer: Signer) -> Gateway:
    channel = connect(settings.fabric_peer, Path(settings.fabric_tls_ca).read_bytes())
    return Gateway(channel, signer, settings.fabric_channel, settings.fabric_chaincode, timeout_s=10)


def _refused(gateway: Gateway, stream: str) -> FabricError:
    (h,) = headers(stream, 1)
    args = [h.batch_id, h.stream, "0", h.root, str(h.size), "a", "b", h.prev_root]
    with pytest.raises(FabricError) as exc:
        gateway.submit("Anchor", args, batch_id=h.batch_id)
    assert not isinstance(exc.value, LedgerUnavailable), exc.value  # a refusal, not an outage
    assert exc.value.tx_id  # every stage error names the transaction
    return exc.value


def test_a_client_certificate_from_an_unknown_ca_is_refused(settings, fabric, stream, tmp_path):
    folder, _ = rogue_msp(tmp_path / "msp")
    rogue = load_msp_dir(folder, "PortAuthorityMSP")  # claims to be the port authority
    err = _refused(_gateway(settings, rogue), stream)
    assert err.stage == "endorse"
    with pytest.raises(FabricError):
        _gateway(settings, rogue).evaluate("GetTip", [stream])
    assert fabric.tip(stream) is None


def test_a_proposal_signed_with_the_wrong_key_is_refused(settings, fabric, stream):
    real = load_msp_dir(settings.fabric_msp_dir, settings.fabric_msp_id)
    impostor = Signer(msp_id=real.msp_id, cert_pem=real.cert_pem, key=ec.generate_private_key(ec.SECP256R1()))
    err = _refused(_gateway(settings, impostor), stream)
    assert err.stage == "endorse"
    assert fabric.tip(stream) is None


def test_endorsements_are_checked_against_the_auditors_cas(fabric, stream, tmp_path, org_cas):
    (h,) = headers(stream, 1)
    r = fabric.anchor(h)
    _, foreign_ca = rogue_msp(tmp_path / "msp")
    with pytest.raises(VerificationError, match="certificate"):
        check_block(fabric.block_bytes(r), r, {**org_cas, "CustomsMSP": foreign_ca})
    with pytest.raises(VerificationError, match="endorsement policy"):
        check_block(
            fabric.block_bytes(r), r, org_cas, required_orgs=("PortAuthorityMSP", "CustomsMSP", "NavyMSP")
        )
