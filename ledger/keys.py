"""Ed25519 signing key of the local ledger, kept beside its log.

Contract: ``load_or_create(directory)`` returns the directory's private key,
creating it on first run as PKCS#8 PEM with mode 0600 (created with
``O_EXCL`` so two first runs cannot both write one), and exports the public
key as ``signing_key.pub.pem`` for auditors. A private key readable by group
or others is refused, not silently tightened: someone may already have read it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cargotrail.errors import LedgerError

PRIVATE_NAME = "signing_key.pem"
PUBLIC_NAME = "signing_key.pub.pem"


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise LedgerError("ledger public key is not Ed25519")
    return key


def _write_new(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(path, mode)  # the umask may have removed bits we want (never added any)


def load_or_create(directory: Path) -> Ed25519PrivateKey:
    """The ledger's signing key (see the module contract)."""
    path = directory / PRIVATE_NAME
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_new(path, pem, 0o600)
        (directory / PUBLIC_NAME).write_bytes(public_pem(key.public_key()))
        return key
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise LedgerError(f"ledger signing key {path} is readable by others (mode must be 0600)")
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise LedgerError(f"ledger signing key {path} is not Ed25519")
    public = directory / PUBLIC_NAME
    if not public.exists():
        public.write_bytes(public_pem(loaded.public_key()))
    return loaded
