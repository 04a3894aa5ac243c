"""Device authentication: signed envelopes, forged, tampered, stale, replayed, unknown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cargotrail.errors import ConfigError, ValidationError
from services.ingest.auth import Verifier, sign
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
