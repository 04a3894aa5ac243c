"""Device authentication: HMAC-SHA256 or Ed25519 signed message envelopes, time window, replay defence.

A device signs, with its HMAC key (shared with the registry) or its Ed25519 private key (the
registry holds the public key), the canonical string

    cargotrail-v1 \\n device_id \\n seq \\n ts \\n nonce \\n sha256(body) hex

(``signing_string``) and sends ``Envelope`` beside the body. ``Verifier.verify`` checks, in this
order, and raises ``ValidationError`` naming the failed check in ``field``:

1. ``device_id``  the device is in the registry (unknown device);
2. ``body``       the body hashes to ``body_sha256`` (tampered or truncated body);
3. ``signature``  the HMAC matches, compared in constant time, or the Ed25519 signature verifies
                  (forged or wrong key); the registry, never the envelope, says which scheme a
                  device uses, so a message cannot pick the weaker check;
4. ``ts``         the device time is within ``window_s`` of ``now`` (stale or from the future);
5. ``seq``/``nonce``  neither the (device, seq) nor the (device, nonce) was accepted before.

The signature is checked before the window and the replay memory, so unauthenticated traffic can
neither fill the memory nor tell a valid signature from a stale one. The memory forgets entries
older than the window: anything that old is refused by check 4 anyway, so the memory stays
bounded by the message rate times the window. Pure: the caller passes ``now``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import deque

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cargotrail.errors import ValidationError
from services.ingest.devices import DeviceRegistry

DEFAULT_WINDOW_S = 300.0


class Envelope(msgspec.Struct, frozen=True, kw_only=True):
    """What travels beside a signed body (an HTTP header, MQTT user properties, a JSON wrapper)."""

    device_id: str
    seq: int
    ts: float  # device time, epoch seconds UTC
    nonce: str
    body_sha256: str  # hex
    signature: str  # hex HMAC-SHA256 (32 bytes) or Ed25519 signature (64 bytes) of ``signing_string``


def signing_string(device_id: str, seq: int, ts: float, nonce: str, body_sha256: str) -> bytes:
    return "\n".join(("cargotrail-v1", device_id, str(seq), repr(float(ts)), nonce, body_sha256)).encode()


def sign(key: bytes, *, device_id: str, seq: int, ts: float, nonce: str, body: bytes) -> Envelope:
    """The envelope a device sends with ``body`` (used by device SDKs, the simulator and tests)."""
    digest = hashlib.sha256(body).hexdigest()
    mac = hmac.new(key, signing_string(device_id, seq, ts, nonce, digest), hashlib.sha256).hexdigest()
    return Envelope(device_id=device_id, seq=seq, ts=ts, nonce=nonce, body_sha256=digest, signature=mac)


def sign_ed25519(
    private_key: Ed25519PrivateKey, *, device_id: str, seq: int, ts: float, nonce: str, body: bytes
) -> Envelope:
    """The envelope of an Ed25519 device (its private key never leaves it)."""
    digest = hashlib.sha256(body).hexdigest()
    sig = private_key.sign(signing_string(device_id, seq, ts, nonce, digest)).hex()
    return Envelope(device_id=device_id, seq=seq, ts=ts, nonce=nonce, body_sha256=digest, signature=sig)


def _ascii(hex_text: str) -> bytes:
    # compare_digest refuses non-ASCII str (TypeError): compare bytes, so any input is just "no match".
    return hex_text.lower().encode("utf-8", "replace")


def _ed25519_verifies(public_key: bytes, signature_hex: str, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):  # ValueError: not hex, or not a 64-byte signature
        return False
    return True


class Verifier:
    """Checks envelopes against the registry's keys and remembers what it accepted (not thread-safe)."""

    def __init__(self, registry: DeviceRegistry, *, window_s: float = DEFAULT_WINDOW_S) -> None:
        self.registry = registry
        self.window_s = window_s
        self._seen: set[tuple[str, str]] = set()
        self._expiry: deque[tuple[float, tuple[str, str], tuple[str, str]]] = deque()

    def verify(self, envelope: Envelope, body: bytes, *, now: float) -> None:
        """Accept the message (and remember it) or raise ``ValidationError`` saying why not."""
        device = envelope.device_id
        record = f"{device}#{envelope.seq}"
        key, public_key = self.registry.keys.get(device), self.registry.public_keys.get(device)
        if key is None and public_key is None:
            raise ValidationError(f"unknown device {device!r}", field="device_id", record=record)
        if not hmac.compare_digest(hashlib.sha256(body).hexdigest().encode(), _ascii(envelope.body_sha256)):
            raise ValidationError("body does not match its SHA-256 digest", field="body", record=record)
        signed = signing_string(
            device, envelope.seq, envelope.ts, envelope.nonce, envelope.body_sha256.lower()
        )
        if key is not None:
            expected = hmac.new(key, signed, hashlib.sha256).hexdigest()
            good = hmac.compare_digest(expected.encode(), _ascii(envelope.signature))
        else:
            good = _ed25519_verifies(public_key or b"", envelope.signature, signed)
        if not good:
            raise ValidationError("bad signature", field="signature", record=record)
        skew = envelope.ts - now
        if not abs(skew) <= self.window_s:  # also refuses NaN
            when = "in the future" if skew > 0 else "old"
            reason = f"message is {abs(skew):.0f} s {when}, outside the {self.window_s:.0f} s window"
            raise ValidationError(reason, field="ts", record=record)
        self._forget(now)
        seq_key, nonce_key = (device, f"seq:{envelope.seq}"), (device, f"nonce:{envelope.nonce}")
        if seq_key in self._seen:
            raise ValidationError(
                f"replay: sequence number {envelope.seq} already accepted", field="seq", record=record
            )
        if nonce_key in self._seen:
            raise ValidationError(
                f"replay: nonce {envelope.nonce!r} already used", field="nonce", record=record
            )
        self._seen.update((seq_key, nonce_key))
        self._expiry.append((envelope.ts + self.window_s, seq_key, nonce_key))

    def release(self, envelope: Envelope) -> None:
        """Forget an accepted envelope whose message was not taken after all (the sink failed).

        The transport will deliver it again (MQTT redelivery), and that is not a replay.
        """
        self._seen.discard((envelope.device_id, f"seq:{envelope.seq}"))
        self._seen.discard((envelope.device_id, f"nonce:{envelope.nonce}"))

    def _forget(self, now: float) -> None:
        # Entries leave in arrival order; one with a later expiry ahead of it waits a little longer,
        # which only makes the memory stricter, never looser.
        while self._expiry and self._expiry[0][0] < now:
            _, seq_key, nonce_key = self._expiry.popleft()
            self._seen.discard(seq_key)
            self._seen.discard(nonce_key)
