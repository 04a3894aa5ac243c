"""Canonical bytes of a contract record: RFC 8785 (JCS) JSON.

Contract: ``canonical_bytes(r) == rfc8785.dumps(msgspec.to_builtins(r))``
for every record (``canonical_bytes_reference`` is that expression, kept for
tests and benchmarks). The same record gives the same bytes in every runtime
and language that implements RFC 8785, so an auditor can recompute a leaf
hash without our code.

- Keys sorted, no whitespace, ECMAScript number format (``4.0`` is ``4``).
- Fields equal to their defaults are omitted (records use ``omit_defaults``),
  so a new optional field does not change the bytes of records without it.
- Timestamps must be timezone-aware UTC (msgspec writes RFC 3339 with
  ``Z``). A naive or non-UTC timestamp is refused, not converted: converting
  would make the hashed form differ from the stored one.
- Floats must be finite; integers within ±(2**53 - 1) (RFC 8785 §3.2.2.3).
  Violations raise ``ValidationError``.

Why a fast path: the ``rfc8785`` package is pure Python (~28 µs per Reading,
~36k records/s); msgspec's sorted encoder writes the same bytes in ~1 µs
*when* every number is an int within ±2**53 or a finite float of magnitude
0 or in [1e-4, 2**53), and every object key is ASCII (string escaping is identical; see
``tests/ledger/test_canonical.py``, which holds the two equal with
hypothesis). Integral floats are turned into ints first (ECMAScript prints
``4.0`` as ``4``). Anything else — huge numbers, NaN, non-ASCII keys — takes
the reference path, so the fast path can only ever be faster, never different.
"""

from __future__ import annotations

import math
import typing
from datetime import datetime, timedelta
from typing import Any

import msgspec
import rfc8785

from cargotrail.errors import ValidationError

_TS_FIELDS = ("ts", "first_ts", "last_ts")
_ZERO = timedelta(0)
_INT_LIMIT = 2**53  # exclusive bound of RFC 8785's (I-JSON's) exact integers
# msgspec writes 1e-6 where ECMAScript writes 0.000001 (RFC 8785 Appendix B):
# tiny magnitudes take the reference path.
_SMALL = 1e-4
_ENCODER = msgspec.json.Encoder(order="sorted")
ENCODER = _ENCODER  # shared with ledger.core.leaves


class _NeedsReference(Exception):
    """A value whose msgspec form may differ from RFC 8785: use the reference path."""


def _record_label(record: object) -> str:
    for name in ("event_id", "alert_id", "batch_id", "record_id"):
        value = getattr(record, name, None)
        if isinstance(value, str):
            return value
    device, seq = getattr(record, "device_id", None), getattr(record, "seq", None)
    return f"{device}#{seq}" if device is not None else type(record).__name__


def check_utc(record: object) -> None:
    for name in _TS_FIELDS:
        value = getattr(record, name, None)
        if isinstance(value, datetime) and value.utcoffset() != _ZERO:
            raise ValidationError(
                f"timestamp must be timezone-aware UTC, got {value.isoformat()}",
                field=name,
                record=_record_label(record),
            )


def _number(value: Any) -> Any:
    """An int or float as RFC 8785 writes it; raises ``_NeedsReference`` where msgspec may differ."""
    if type(value) is float:
        magnitude = abs(value)
        if not math.isfinite(value) or magnitude >= _INT_LIMIT or 0 < magnitude < _SMALL:
            raise _NeedsReference
        return int(value) if value.is_integer() else value
    if not -_INT_LIMIT < value < _INT_LIMIT:
        raise _NeedsReference
    return value


def _jcs_ready(value: Any) -> Any:
    """``value`` with integral floats as ints; raises ``_NeedsReference`` where msgspec may differ.

    Records are mostly flat dicts of strings and numbers: those are handled inline
    (one call per record, not one per field), nested containers recursively.
    """
    t = type(value)
    if t is dict:
        out = {}
        for k, v in value.items():
            if not k.isascii():  # msgspec sorts by code point, JCS by UTF-16 unit
                raise _NeedsReference
            tv = type(v)
            if tv is str or v is None or tv is bool:
                out[k] = v
            elif tv is float or tv is int:
                out[k] = _number(v)
            else:
                out[k] = _jcs_ready(v)
        return out
    if t is list:
        return [_jcs_ready(v) for v in value]
    if t is float or t is int:
        return _number(value)
    return value  # str, bool, None: identical in both encoders


def canonical_json(obj: Any) -> bytes:
    """RFC 8785 bytes of plain JSON data (dict/list/str/int/float/bool/None)."""
    try:
        return _ENCODER.encode(_jcs_ready(obj))
    except (_NeedsReference, msgspec.EncodeError, TypeError):
        pass
    try:
        return rfc8785.dumps(obj)
    except rfc8785.CanonicalizationError as exc:
        raise ValidationError(f"cannot canonicalise: {exc}") from exc


_SCALARS = (str, int, float, bool, datetime, type(None))
_flat_of: dict[type, tuple[tuple[str, ...], tuple[str, ...]] | None] = {}


def _flat_fields(cls: type) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(float fields, int fields) of a struct whose fields are all scalars, else None."""
    if cls not in _flat_of:
        floats: list[str] = []
        ints: list[str] = []
        flat = True
        for f in msgspec.structs.fields(cls):
            kinds = typing.get_args(f.type) or (f.type,)
            if float in kinds:
                floats.append(f.name)
            elif int in kinds and bool not in kinds:
                ints.append(f.name)
            flat = flat and all(k in _SCALARS or (isinstance(k, type) and issubclass(k, str)) for k in kinds)
        _flat_of[cls] = (tuple(floats), tuple(ints)) if flat else None
    return _flat_of[cls]


def _flat_fast(record: msgspec.Struct) -> bytes | None:
    """RFC 8785 bytes of a flat record straight from msgspec, or None when that is not safe.

    msgspec's sorted output equals RFC 8785 when every number is in the range both
    print alike (integral floats are written as ints first), and no string needs an
    escape or holds non-ASCII text (checked on the output, at C speed).
    """
    fields = _flat_fields(type(record))
    if fields is None:
        return None
    floats, ints = fields
    fixes = {}
    for name in floats:
        v = getattr(record, name)
        if v is None:
            continue
        magnitude = abs(v)
        if not (_SMALL <= magnitude < 1e16 or v == 0):  # also false for NaN and infinities
            return None
        if v.is_integer():
            fixes[name] = int(v)  # also turns -0.0 into 0
    for name in ints:
        v = getattr(record, name)
        if v is not None and not -_INT_LIMIT < v < _INT_LIMIT:
            return None
    out = _ENCODER.encode(msgspec.structs.replace(record, **fixes) if fixes else record)
    return out if out.isascii() and b"\\" not in out else None


def canonical_bytes(record: msgspec.Struct) -> bytes:
    """RFC 8785 canonical JSON of a contract record (see the module contract)."""
    check_utc(record)
    fast = _flat_fast(record)
    if fast is not None:
        return fast  # readings and RFID reads: one C-speed encode
    try:
        return canonical_json(msgspec.to_builtins(record))
    except ValidationError as exc:
        raise ValidationError(exc.reason, record=_record_label(record)) from exc.__cause__


def canonical_bytes_reference(record: msgspec.Struct) -> bytes:
    """``rfc8785.dumps(msgspec.to_builtins(record))``: the definition, unoptimised."""
    return rfc8785.dumps(msgspec.to_builtins(record))
