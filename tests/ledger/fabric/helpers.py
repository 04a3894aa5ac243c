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


def rogue_msp(folder: Path) -> tuple[Path, bytes]:
    """An MSP folder whose client certificate comes from a CA no organisation trusts; (folder, CA PEM)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("ca.rogue.test")
    now = datetime.now(UTC)

    def cert(subject: x509.Name, key: ec.EllipticCurvePrivateKey, ca: bool) -> x509.Certificate:
        b = x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(key.public_key())
        b = b.serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
        b = b.not_valid_after(now + timedelta(days=1))
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        return b.sign(ca_key, hashes.SHA256())

    user_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = cert(ca_name, ca_key, True)
    user = cert(_name("User1@rogue.test", "client"), user_key, False)
    (folder / "signcerts").mkdir(parents=True)
    (folder / "keystore").mkdir()
    (folder / "signcerts" / "cert.pem").write_bytes(user.public_bytes(serialization.Encoding.PEM))
    (folder / "keystore" / "priv_sk").write_bytes(
        user_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return folder, ca_cert.public_bytes(serialization.Encoding.PEM)
