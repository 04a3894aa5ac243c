"""Parsing a block's parts: whatever is malformed is a VerificationError naming the part (pure)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from fabric_protos.common import common_pb2

from cargotrail.errors import VerificationError
from ledger.fabric.identity import serialize_identity
from ledger.fabric.wire import decode, identity, json_object
from tests.ledger.fabric.helpers import ThrowawayCA


def test_a_message_is_decoded_and_garbage_is_named() -> None:
    header = common_pb2.BlockHeader(number=7, data_hash=b"\x01")
    assert decode(common_pb2.BlockHeader, header.SerializeToString(), "header") == header
    with pytest.raises(VerificationError) as exc:
        decode(common_pb2.BlockHeader, b"\xff\xff", "the part")
    assert (exc.value.what, exc.value.expected) == ("the part", "a common.BlockHeader message")
    assert exc.value.found == "not a protobuf message"


@pytest.mark.parametrize(
    ("creator", "what", "expected"),
    [
        (
            serialize_identity(
                "CustomsMSP", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
            ),
            "endorser (CustomsMSP)",
            "an X.509 certificate in PEM",
        ),
        (serialize_identity("", b"not a PEM"), "endorser (no MSP id)", "an X.509 certificate in PEM"),
        (b"\xff\xff", "endorser", "a msp.SerializedIdentity message"),
    ],
)
def test_an_identity_that_does_not_parse_is_named_with_its_msp(
    creator: bytes, what: str, expected: str
) -> None:
    peer = ThrowawayCA().signer("CustomsMSP", "peer0.customs.test", "peer")
    msp, cert = identity(peer.creator, "endorser")
    assert msp == "CustomsMSP" and cert.public_bytes(Encoding.PEM) == peer.cert_pem
    with pytest.raises(VerificationError) as exc:
        identity(creator, "endorser")
    assert (exc.value.what, exc.value.expected) == (what, expected)


@pytest.mark.parametrize(
    ("value", "found"),
    [
        (b"{root", "not JSON"),
        (b"\xff", "not JSON"),
        (b"[]", "an array"),
        (b'"a"', "a string"),
        (b"1", "a number"),
        (b"1.5", "a number"),
        (b"true", "a boolean"),
        (b"null", "null"),
    ],
)
def test_a_write_set_value_must_be_a_json_object(value: bytes, found: str) -> None:
    assert json_object(b'{"root": "ab"}', "anchor") == {"root": "ab"}
    with pytest.raises(VerificationError) as exc:
        json_object(value, "anchor")
    assert (exc.value.what, exc.value.expected, exc.value.found) == ("anchor", "a JSON object", found)
