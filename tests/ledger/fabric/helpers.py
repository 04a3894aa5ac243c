"""Batch headers and throwaway identities for the Fabric tests."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ledger.core.batch import GENESIS_ROOT, BatchHeader, batch_id
from ledger.fabric.identity import Signer

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def headers(stream: str, n: int, start_seq: int = 0, prev: str = GENESIS_ROOT) -> list[BatchHeader]:
    """``n`` chained headers of ``stream`` from ``start_seq``, with made-up roots."""
    out = []
    for seq in range(start_seq, start_seq + n):
        root = hashlib.sha256(f"{stream}/{seq}".encode()).hexdigest()
        out.append(
            BatchHeader(
                batch_id=batch_id(stream, seq),
                stream=stream,
                seq=seq,
                root=root,
                size=100 + seq,
                first_ts=T0 + timedelta(seconds=5 * seq),
                last_ts=T0 + timedelta(seconds=5 * seq + 4),
                prev_root=prev,
            )
        )
        prev = root
    return out


def _name(cn: str, ou: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    return x509.Name(attrs)


class ThrowawayCA:
    """A CA no organisation trusts, issuing certificates with Fabric's node OUs (client, peer, orderer)."""

    def __init__(self, cn: str = "ca.rogue.test") -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._name = _name(cn)
        self.cert = self._issue(self._name, self._key, ca=True)
        self.pem = self.cert.public_bytes(serialization.Encoding.PEM)

    def _issue(self, subject: x509.Name, key: ec.EllipticCurvePrivateKey, ca: bool) -> x509.Certificate:
        now = datetime.now(UTC)
        b = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._name)
            .public_key(key.public_key())
        )
        b = b.serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
        b = b.not_valid_after(now + timedelta(days=1))
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        return b.sign(self._key, hashes.SHA256())

    def signer(self, msp_id: str, cn: str, ou: str) -> Signer:
        """A fresh identity of ``msp_id`` with its key, issued by this CA."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self._issue(_name(cn, ou), key, ca=False)
        return Signer(msp_id=msp_id, cert_pem=cert.public_bytes(serialization.Encoding.PEM), key=key)


def rogue_msp(folder: Path) -> tuple[Path, bytes]:
    """An MSP folder whose client certificate comes from a CA no organisation trusts; (folder, CA PEM)."""
    ca = ThrowawayCA()
    user = ca.signer("RogueMSP", "User1@rogue.test", "client")
    (folder / "signcerts").mkdir(parents=True)
    (folder / "keystore").mkdir()
    (folder / "signcerts" / "cert.pem").write_bytes(user.cert_pem)
    (folder / "keystore" / "priv_sk").write_bytes(
        user.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return folder, ca.pem
