"""The ordering service's signature on a block: pure, offline, given the orderer organisation's CA.

Each orderer signs ``metadata value || signature header || DER(block header)`` and stores the
signature in the block's SIGNATURES metadata; the header holds the block number, the previous
block's hash and the data hash. A valid signature by an ``orderer`` certificate of the orderer
organisation's CA shows that this block, with these transactions, was cut by the ordering service
as number N of the channel. (Raft orderers sign with a signature header naming their identity;
BFT ones may name a consenter id instead, which needs the channel's consenter set: not supported.)
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509
from fabric_protos.common import common_pb2

from cargotrail.errors import VerificationError
from ledger.fabric.identity import has_ou, issued_by, verify
from ledger.fabric.wire import decode, identity

ORDERER_MSP = "OrdererMSP"
_SIGNATURES = common_pb2.BlockMetadataIndex.SIGNATURES


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = (n.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + n.to_bytes(size, "big") + content


def header_bytes(header: common_pb2.BlockHeader) -> bytes:
    """DER of SEQUENCE {INTEGER number, OCTET STRING previous_hash, OCTET STRING data_hash}."""
    # bit_length // 8 + 1 bytes: the shortest two's complement of a non-negative number (0 is one byte).
    number = header.number.to_bytes(header.number.bit_length() // 8 + 1, "big")
    return _der(0x30, _der(0x02, number) + _der(0x04, header.previous_hash) + _der(0x04, header.data_hash))


def check_orderer_signature(
    block: common_pb2.Block, orderer_cas: Sequence[x509.Certificate], where: str
) -> str:
    """The MSP id of the orderer whose signature on ``block`` verifies; ``VerificationError`` if none does."""
    metadata = block.metadata.metadata
    if len(metadata) <= _SIGNATURES or not metadata[_SIGNATURES]:
        raise VerificationError(
            f"{where}: orderer signature", expected="present", found="no SIGNATURES metadata"
        )
    md = decode(common_pb2.Metadata, metadata[_SIGNATURES], f"{where}: block metadata SIGNATURES")
    signed_header = header_bytes(block.header)
    found: list[str] = []
    for i, sig in enumerate(md.signatures):
        if not sig.signature_header:
            found.append("a signature without a signature header (BFT consenter id)")
            continue
        try:  # SIGNATURES is not hashed: a garbage entry beside a valid signature must not hide it
            header = decode(common_pb2.SignatureHeader, sig.signature_header, f"signature {i} header")
            msp, cert = identity(header.creator, f"signature {i} signer")
        except VerificationError as exc:
            found.append(f"{exc.what}: {exc.found}")
            continue
        if msp != ORDERER_MSP or not has_ou(cert, "orderer") or not issued_by(cert, orderer_cas):
            found.append(
                f"{msp} {cert.subject.rfc4514_string()}, not an orderer of the given {ORDERER_MSP} CA"
            )
        elif not verify(cert, md.value + sig.signature_header + signed_header, sig.signature):
            found.append(f"an invalid signature by {cert.subject.rfc4514_string()}")
        else:
            return msp
    raise VerificationError(
        f"{where}: orderer signature on block {block.header.number}",
        expected=f"a valid signature by an orderer of {ORDERER_MSP}",
        found="; ".join(found) or "no signature",
    )
