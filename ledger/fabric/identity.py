"""Fabric identities and signatures: pure crypto, no network.

An identity is an MSP id, an X.509 certificate and (for a signer) its EC private key. Fabric's
wire form of an identity is ``msp.SerializedIdentity{mspid, id_bytes = certificate PEM}`` (the
"creator"). Signatures are ECDSA P-256 over SHA-256, DER-encoded, with low S: Fabric refuses a
high-S signature ("Invalid S. Must be smaller than half the order"), so S is replaced by n - S.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import NameOID
from fabric_protos.msp import identities_pb2

from cargotrail.errors import ConfigError

# Order of the P-256 group: a signature's S must be at most half of it.
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def low_s(der: bytes) -> bytes:
    """``der`` with S replaced by n - S when S > n/2 (same signature, canonical form)."""
    r, s = decode_dss_signature(der)
    if s > P256_ORDER // 2:
        s = P256_ORDER - s
    return encode_dss_signature(r, s)


def serialize_identity(msp_id: str, cert_pem: bytes) -> bytes:
    """The creator bytes Fabric puts in headers and checks signatures against."""
    return bytes(identities_pb2.SerializedIdentity(mspid=msp_id, id_bytes=cert_pem).SerializeToString())


def parse_identity(creator: bytes) -> tuple[str, x509.Certificate]:
    """(MSP id, certificate) of serialized identity bytes; ValueError if they are not one."""
    sid = identities_pb2.SerializedIdentity.FromString(creator)
    return sid.mspid, x509.load_pem_x509_certificate(sid.id_bytes)


def verify(cert: x509.Certificate, data: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is a valid low-S ECDSA-SHA256 signature of ``data`` by ``cert``'s key."""
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return False
    try:
        _, s = decode_dss_signature(signature)
        if s > P256_ORDER // 2:
            return False  # Fabric rejects high S too: a malleated signature is not valid here
        key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def issued_by(cert: x509.Certificate, cas: Sequence[x509.Certificate]) -> bool:
    """Whether one of ``cas`` issued ``cert`` directly (its signature on the certificate verifies)."""
    for ca in cas:
        try:
            cert.verify_directly_issued_by(ca)
            return True
        except (ValueError, TypeError, InvalidSignature):
            continue
    return False


def has_ou(cert: x509.Certificate, ou: str) -> bool:
    """Whether ``cert`` carries the organisational unit ``ou`` (Fabric's node OUs: peer, orderer, client)."""
    return any(a.value == ou for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME))


@dataclass(frozen=True)
class Signer:
    """A client identity that can sign: MSP id, certificate PEM, private key."""

    msp_id: str
    cert_pem: bytes
    key: ec.EllipticCurvePrivateKey

    @property
    def creator(self) -> bytes:
        return serialize_identity(self.msp_id, self.cert_pem)

    def sign(self, data: bytes) -> bytes:
        """DER, low-S ECDSA P-256 signature over SHA-256 of ``data``."""
        return low_s(self.key.sign(data, ec.ECDSA(hashes.SHA256())))


def load_msp_dir(msp_dir: str | Path, msp_id: str) -> Signer:
    """The signer of an MSP folder: ``signcerts/*.pem`` and the one key in ``keystore/``.

    Raises ``ConfigError`` naming the folder when either is missing, unreadable, not EC, or
    when the key does not belong to the certificate.
    """
    d = Path(msp_dir)
    certs = sorted((d / "signcerts").glob("*.pem"))
    keys = sorted(p for p in (d / "keystore").glob("*") if p.is_file())
    if len(certs) != 1 or len(keys) != 1:
        raise ConfigError(
            f"MSP folder {d}: expected one certificate in signcerts/ and one key in keystore/, "
            f"found {len(certs)} and {len(keys)}"
        )
    cert_pem = certs[0].read_bytes()
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        key = serialization.load_pem_private_key(keys[0].read_bytes(), password=None)
    except ValueError as exc:
        raise ConfigError(f"MSP folder {d}: unreadable certificate or key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ConfigError(f"MSP folder {d}: the key in keystore/ is not an EC key")
    if key.public_key().public_numbers() != cert.public_key().public_numbers():  # type: ignore[union-attr]
        raise ConfigError(f"MSP folder {d}: the key in keystore/ does not match {certs[0].name}")
    return Signer(msp_id=msp_id, cert_pem=cert_pem, key=key)
