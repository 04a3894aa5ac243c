"""API tokens: roles, and the token file of the data directory.

The file (``api_tokens.json`` in the data directory) holds, per token, its id,
name, role, creation time and the SHA-256 of the token, never the token
itself. A token is ``ct_<id>_<secret>`` with 32 random bytes of secret, so a
fast hash is enough (nothing to brute-force); comparison is constant-time.
The token is shown once, by ``create``.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

import msgspec

from cargotrail.errors import ConfigError

TOKENS_FILE = "api_tokens.json"
PREFIX = "ct_"
BOOTSTRAP_ID = "boot-"  # ids of tokens a deployment supplies (``ensure``)
MIN_BOOTSTRAP_LEN = 32


class Role(enum.StrEnum):
    OPERATOR = "operator"  # reads and triages alerts
    AUDITOR = "auditor"  # reads and verifies; cannot triage
    INTEGRATOR = "integrator"  # ingests only (services/ingest): no endpoint of this API
    ADMIN = "admin"  # everything


class TokenEntry(msgspec.Struct, frozen=True, kw_only=True):
    token_id: str
    name: str
    role: Role
    sha256: str
    created_ts: float


class _TokenFile(msgspec.Struct, kw_only=True):
    version: int = 1
    tokens: list[TokenEntry] = []


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """The tokens of one data directory; re-read when the file changes (a token created while serving)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[float, int] | None = None
        self._tokens: list[TokenEntry] = []

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> TokenStore:
        return cls(data_dir / TOKENS_FILE)

    def _load(self) -> list[TokenEntry]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._tokens = None, []
            return self._tokens
        stamp = (st.st_mtime, st.st_size)
        if stamp != self._stamp:
            try:
                data = msgspec.json.decode(self.path.read_bytes(), type=_TokenFile)
            except (OSError, msgspec.DecodeError) as exc:
                raise ConfigError(f"API token file {self.path} is unreadable: {exc}") from exc
            self._stamp, self._tokens = stamp, data.tokens
        return self._tokens

    def entries(self) -> list[TokenEntry]:
        return list(self._load())

    def create(self, role: Role, name: str) -> tuple[TokenEntry, str]:
        """Add a token; return its entry and the token (the only time it is seen in clear)."""
        if not name.strip():
            raise ConfigError("an API token needs a name (the operator or system it belongs to)")
        token_id = secrets.token_hex(6)
        token = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        entry = TokenEntry(
            token_id=token_id, name=name.strip(), role=role, sha256=token_hash(token), created_ts=time.time()
        )
        self._write([*self._load(), entry])
        return entry, token

    def ensure(self, token: str, role: Role, name: str) -> TokenEntry:
        """Accept ``token`` (chosen by a deployer, e.g. from a secret) with ``role`` under ``name``.

        Idempotent: a token already stored is kept as it is. Another token stored under the same name
        by an earlier ``ensure`` is revoked, so changing the deployment's secret rotates the token.
        """
        if len(token) < MIN_BOOTSTRAP_LEN or any(c.isspace() for c in token):
            raise ConfigError(
                f"the bootstrap API token must be at least {MIN_BOOTSTRAP_LEN} characters without spaces "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        if not name.strip():
            raise ConfigError("a bootstrap API token needs a name")
        found = self.authenticate(token)
        if found is not None:
            return found
        digest = token_hash(token)
        token_id = f"{BOOTSTRAP_ID}{digest[:12]}"
        entry = TokenEntry(
            token_id=token_id, name=name.strip(), role=role, sha256=digest, created_ts=time.time()
        )
        kept = [t for t in self._load() if not (t.token_id.startswith(BOOTSTRAP_ID) and t.name == entry.name)]
        self._write([*kept, entry])
        return entry

    def revoke(self, token_id: str) -> bool:
        tokens = self._load()
        kept = [t for t in tokens if t.token_id != token_id]
        if len(kept) == len(tokens):
            return False
        self._write(kept)
        return True

    def _write(self, tokens: list[TokenEntry]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        body = msgspec.json.encode(_TokenFile(tokens=tokens))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(json.dumps(json.loads(body), indent=2).encode())
        tmp.replace(self.path)

    def authenticate(self, token: str) -> TokenEntry | None:
        """The entry of ``token``, or None when no token matches."""
        digest = token_hash(token)
        found = None
        for entry in self._load():
            if hmac.compare_digest(entry.sha256, digest):
                found = entry
        return found
