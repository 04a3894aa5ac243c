"""Device authentication: HMAC and Ed25519 envelopes, forged, tampered, stale, replayed, unknown."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from cargotrail.errors import ConfigError, ValidationError
from services.ingest.auth import Verifier, sign, sign_ed25519
from services.ingest.devices import DeviceRegistry

KEY = bytes(range(32))
NOW = 1_772_000_000.0
BODY = b'[{"type": "reading"}]'


def verifier(window_s: float = 300.0) -> Verifier:
    registry = DeviceRegistry()
    registry.add_device("TRK-1", KEY)
    return Verifier(registry, window_s=window_s)


def envelope(seq: int = 1, ts: float = NOW, nonce: str = "n1", key: bytes = KEY, device: str = "TRK-1"):
    return sign(key, device_id=device, seq=seq, ts=ts, nonce=nonce, body=BODY)


def refused(v: Verifier, env, body: bytes = BODY, now: float = NOW) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        v.verify(env, body, now=now)
    assert info.value.reason
    return info.value


def test_a_signed_message_in_the_window_is_accepted():
    verifier().verify(envelope(), BODY, now=NOW + 10)


def test_forged_signature_tampered_body_and_unknown_device_are_refused_each_with_its_reason():
    v = verifier()
    assert refused(v, envelope(key=b"x" * 32)).field == "signature"
    assert refused(v, envelope(), body=BODY + b" ").field == "body"
    assert refused(v, envelope(device="TRK-9")).field == "device_id"
    forged = envelope().__class__(**{**_fields(envelope()), "seq": 2})  # seq changed after signing
    assert refused(v, forged).field == "signature"


def _fields(env) -> dict:
    return {f: getattr(env, f) for f in env.__struct_fields__}


def test_out_of_window_messages_are_refused_both_ways():
    v = verifier(window_s=60)
    assert "old" in refused(v, envelope(ts=NOW - 61)).reason
    assert "future" in refused(v, envelope(ts=NOW + 61)).reason
    assert refused(v, envelope(ts=float("nan"))).field == "ts"


def test_replays_by_seq_or_nonce_are_refused():
    v = verifier()
    v.verify(envelope(seq=1, nonce="a"), BODY, now=NOW)
    assert refused(v, envelope(seq=1, nonce="a")).field == "seq"
    assert refused(v, envelope(seq=1, nonce="b")).field == "seq"
    assert refused(v, envelope(seq=2, nonce="a")).field == "nonce"
    v.verify(envelope(seq=2, nonce="b"), BODY, now=NOW)


def test_the_replay_memory_forgets_only_what_the_window_refuses_anyway():
    v = verifier(window_s=60)
    v.verify(envelope(seq=1, nonce="a"), BODY, now=NOW)
    later = NOW + 61
    v.verify(envelope(seq=3, ts=later, nonce="c"), BODY, now=later)
    assert len(v._seen) == 2  # seq 1 / nonce a forgotten...
    assert refused(v, envelope(seq=1, nonce="a"), now=later).field == "ts"  # ...and still refused


def test_keys_shorter_than_16_bytes_are_refused():
    with pytest.raises(ConfigError):
        DeviceRegistry().add_device("TRK-2", b"short")


@given(st.builds(lambda s, t, n, sig: (s, t, n, sig), st.integers(), st.floats(), st.text(), st.text()))
def test_fuzz_random_envelopes_are_refused_never_crash(parts):
    seq, ts, nonce, sig = parts
    env = envelope().__class__(
        device_id="TRK-1", seq=seq, ts=ts, nonce=nonce, body_sha256="00", signature=sig
    )
    refused(verifier(), env)


PRIVATE = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
PUBLIC = PRIVATE.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def ed25519_verifier() -> Verifier:
    registry = DeviceRegistry()
    registry.add_ed25519_device("TRK-E", PUBLIC)
    registry.add_device("TRK-1", KEY)
    return Verifier(registry)


def ed_envelope(seq: int = 1, key: Ed25519PrivateKey = PRIVATE, device: str = "TRK-E"):
    return sign_ed25519(key, device_id=device, seq=seq, ts=NOW, nonce=f"e{seq}", body=BODY)


def test_ed25519_devices_are_verified_by_their_public_key_only():
    v = ed25519_verifier()
    v.verify(ed_envelope(1), BODY, now=NOW)
    assert refused(v, ed_envelope(2, key=Ed25519PrivateKey.generate())).field == "signature"
    assert refused(v, ed_envelope(1)).field == "seq"  # replay
    # the registry, not the message, picks the scheme: an HMAC over the public key is no signature
    assert (
        refused(v, sign(PUBLIC, device_id="TRK-E", seq=3, ts=NOW, nonce="x", body=BODY)).field == "signature"
    )
    assert refused(v, ed_envelope(4, device="TRK-1")).field == "signature"  # an HMAC device


def test_the_registry_keeps_ed25519_keys_and_one_scheme_per_device():
    registry = DeviceRegistry()
    registry.add_device("TRK-E", KEY)
    registry.add_ed25519_device("TRK-E", PUBLIC)
    again = DeviceRegistry.from_json(registry.to_json())
    assert (again.public_keys, again.keys) == ({"TRK-E": PUBLIC}, {})
    with pytest.raises(ConfigError):
        registry.add_ed25519_device("TRK-F", PUBLIC[:31])


@given(st.text(), st.integers())
def test_fuzz_random_ed25519_signatures_are_refused_never_crash(sig, seq):
    env = ed_envelope(seq=1).__class__(**{**_fields(ed_envelope()), "signature": sig, "seq": seq})
    refused(ed25519_verifier(), env)
