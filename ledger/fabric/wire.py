"""The parts of a block an auditor reads, parsed so that a malformed part is a failed check.

A block comes from whoever handed over the proof bundle: any of its bytes may be garbage, including
those no hash covers (the SIGNATURES metadata). Each parse here turns the parser's own error
(protobuf's ``DecodeError``, a PEM ``ValueError``) into a ``VerificationError`` naming the part, so
that the verdict says what is wrong instead of escaping as a traceback. Pure: no network.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from fabric_protos.msp import identities_pb2
from google.protobuf.message import DecodeError, Message

from cargotrail.errors import VerificationError

M = TypeVar("M", bound=Message)
_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def decode(message: type[M], data: bytes, part: str) -> M:
    """``data`` parsed as ``message``; ``VerificationError`` naming ``part`` when it is not one."""
    parsed: M = message()
    try:
        parsed.ParseFromString(data)
    except DecodeError:
        raise VerificationError(
            part, expected=f"a {message.DESCRIPTOR.full_name} message", found="not a protobuf message"
        ) from None
    return parsed


def identity(creator: bytes, part: str) -> tuple[str, x509.Certificate]:
    """(MSP id, certificate) of a serialized identity; ``VerificationError`` naming ``part`` and the MSP."""
    sid = decode(identities_pb2.SerializedIdentity, creator, part)
    try:
        cert = x509.load_pem_x509_certificate(sid.id_bytes)
        # Parsed lazily: a garbled key or name would otherwise fail in the middle of a later check.
        cert.public_key(), cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise VerificationError(
            f"{part} ({sid.mspid or 'no MSP id'})",
            expected="an X.509 certificate in PEM",
            found=f"not a readable PEM certificate ({exc})",
        ) from None
    return sid.mspid, cert


def json_object(value: bytes, part: str) -> dict[str, Any]:
    """``value`` parsed as a JSON object; ``VerificationError`` naming ``part`` otherwise."""
    try:
        data = json.loads(value)
    except ValueError:  # JSONDecodeError, and UnicodeDecodeError for bytes that are not UTF-8
        raise VerificationError(part, expected="a JSON object", found="not JSON") from None
    if not isinstance(data, dict):
        raise VerificationError(part, expected="a JSON object", found=_JSON_TYPES.get(type(data), "null"))
    return data
