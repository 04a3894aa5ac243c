"""The DER block header the ordering service signs (pure: no network)."""

from __future__ import annotations

import pytest
from fabric_protos.common import common_pb2

from ledger.fabric.orderer import header_bytes


@pytest.mark.parametrize(
    ("number", "integer"),
    [
        (0, "020100"),
        (5, "020105"),
        (127, "02017f"),
        (128, "02020080"),
        (256, "02020100"),
        (2**63, "0209008000000000000000"),
    ],
)
def test_the_block_number_is_a_minimal_positive_der_integer(number: int, integer: str) -> None:
    header = common_pb2.BlockHeader(number=number, previous_hash=b"", data_hash=b"\xab")
    body = bytes.fromhex(integer) + bytes.fromhex("0400") + bytes.fromhex("0401ab")
    assert header_bytes(header) == bytes([0x30, len(body)]) + body


def test_long_hashes_take_the_long_length_form() -> None:
    header = common_pb2.BlockHeader(number=1, previous_hash=b"\x01" * 32, data_hash=b"\x02" * 200)
    der = header_bytes(header)
    body = (
        bytes.fromhex("020101") + bytes([0x04, 32]) + b"\x01" * 32 + bytes([0x04, 0x81, 200]) + b"\x02" * 200
    )
    assert der == bytes([0x30, 0x81, len(body)]) + body
