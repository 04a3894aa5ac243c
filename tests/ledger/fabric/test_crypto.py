"""Pure parts of the Fabric client: signing, proposals, error translation (no network)."""

from __future__ import annotations

import hashlib

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.peer import chaincode_pb2, proposal_pb2

from cargotrail.errors import ConfigError, LedgerUnavailable
from ledger.fabric.errors import EndorseError, FabricUnavailable, translate
from ledger.fabric.identity import P256_ORDER, load_msp_dir, low_s, parse_identity, verify
from ledger.fabric.proposal import build_proposal, tx_id_for
from tests.ledger.fabric.helpers import rogue_msp


@pytest.fixture()
def signer(tmp_path):
    folder, _ = rogue_msp(tmp_path / "msp")
    return load_msp_dir(folder, "PortAuthorityMSP")


def test_signatures_are_low_s_der_and_verify(signer):
    cert = x509.load_pem_x509_certificate(signer.cert_pem)
    for i in range(20):  # about half of raw ECDSA signatures are high-S: all must come out low
        sig = signer.sign(b"data %d" % i)
        assert decode_dss_signature(sig)[1] <= P256_ORDER // 2
        assert verify(cert, b"data %d" % i, sig)
    assert not verify(cert, b"other", signer.sign(b"data"))


def test_high_s_is_normalised_and_refused_by_verify(signer):
    sig = signer.sign(b"x")
    r, s = decode_dss_signature(sig)
    high = encode_dss_signature(r, P256_ORDER - s)
    assert low_s(high) == sig
    assert not verify(x509.load_pem_x509_certificate(signer.cert_pem), b"x", high)


def test_proposal_carries_the_fabric_tx_id_and_a_valid_signature(signer):
    p = build_proposal(signer, "cargotrail", "anchors", "Anchor", ["a", b"b"], nonce=b"n" * 24, now_ns=10**18)
    assert (
        p.tx_id
        == tx_id_for(b"n" * 24, signer.creator)
        == hashlib.sha256(b"n" * 24 + signer.creator).hexdigest()
    )
    proposal = proposal_pb2.Proposal.FromString(p.signed.proposal_bytes)
    header = common_pb2.Header.FromString(proposal.header)
    ch = common_pb2.ChannelHeader.FromString(header.channel_header)
    assert (ch.tx_id, ch.channel_id, ch.type) == (
        p.tx_id,
        "cargotrail",
        common_pb2.HeaderType.ENDORSER_TRANSACTION,
    )
    assert proposal_pb2.ChaincodeHeaderExtension.FromString(ch.extension).chaincode_id.name == "anchors"
    payload = proposal_pb2.ChaincodeProposalPayload.FromString(proposal.payload)
    spec = chaincode_pb2.ChaincodeInvocationSpec.FromString(payload.input).chaincode_spec
    assert list(spec.input.args) == [b"Anchor", b"a", b"b"]
    msp, cert = parse_identity(common_pb2.SignatureHeader.FromString(header.signature_header).creator)
    assert msp == "PortAuthorityMSP" and verify(cert, p.signed.proposal_bytes, p.signed.signature)


def test_msp_folder_errors_name_the_folder(tmp_path, signer):
    with pytest.raises(ConfigError, match="expected one certificate"):
        load_msp_dir(tmp_path, "X")
    folder, _ = rogue_msp(tmp_path / "other")
    (folder / "keystore" / "priv_sk").write_bytes(
        signer.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(ConfigError, match="does not match"):
        load_msp_dir(folder, "X")


class _RpcError(grpc.RpcError):  # type: ignore[misc]  # grpc ships no type hints
    def __init__(self, code, details, trailers=()):
        self._code, self._details, self._trailers = code, details, trailers

    def code(self):
        return self._code

    def details(self):
        return self._details

    def trailing_metadata(self):
        return self._trailers


def _status_with(detail: gateway_pb2.ErrorDetail) -> bytes:
    any_msg = (
        b"\x0a\x05type/" + b"\x12" + bytes([len(detail.SerializeToString())]) + detail.SerializeToString()
    )
    return b"\x08\x0a" + b"\x1a" + bytes([len(any_msg)]) + any_msg  # Status{code 10, details [Any]}


def test_translation_tells_refusals_from_outages():
    detail = gateway_pb2.ErrorDetail(address="p1", msp_id="CustomsMSP", message="chaincode response 500, no")
    trailers = [("grpc-status-details-bin", _status_with(detail))]
    refused = translate(
        _RpcError(grpc.StatusCode.ABORTED, "failed to endorse", trailers),
        stage="endorse",
        tx_id="t1",
        batch_id="b1",
    )
    assert type(refused) is EndorseError and refused.tx_id == "t1" and refused.batch_id == "b1"
    assert refused.details[0].msp_id == "CustomsMSP" and "CustomsMSP: chaincode response 500" in str(refused)
    down = translate(_RpcError(grpc.StatusCode.UNAVAILABLE, "connection refused"), stage="submit", tx_id="t2")
    assert (
        isinstance(down, FabricUnavailable) and isinstance(down, LedgerUnavailable) and down.stage == "submit"
    )
    leaderless = translate(_RpcError(grpc.StatusCode.ABORTED, "no Raft leader"), stage="submit", tx_id="t3")
    assert isinstance(leaderless, LedgerUnavailable)
