"""The anchors chaincode's JSON form of a batch header, and its world-state key (pure).

The chaincode (ledger/chaincode) stores each batch as camelCase JSON under the composite key
``anchor~batchId``; the Gateway client reads it back and the auditor finds it in a block's
write set. Both go through here so that they agree on the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from ledger.core.batch import BatchHeader

_FIELDS = {
    "batchId": "batch_id",
    "stream": "stream",
    "seq": "seq",
    "root": "root",
    "size": "size",
    "firstTs": "first_ts",
    "lastTs": "last_ts",
    "prevRoot": "prev_root",
}


def anchor_key(batch_id: str) -> str:
    """The world-state key of a batch: Fabric's composite key ``anchor~batchId``."""
    return f"\x00anchor\x00{batch_id}\x00"


def header_from_anchor(a: Mapping[str, Any]) -> BatchHeader:
    """The batch header an ``Anchor`` JSON object records.

    Raises ``KeyError`` for a missing field and ``msgspec.ValidationError`` for a malformed one.
    """
    return msgspec.convert({ours: a[theirs] for theirs, ours in _FIELDS.items()}, BatchHeader)
