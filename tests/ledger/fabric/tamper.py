"""Edits of a Fabric proof bundle's block, as a forger would make them."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

from fabric_protos.common import common_pb2

Bundle = dict[str, Any]


def block_of(bundle: Bundle) -> common_pb2.Block:
    return common_pb2.Block.FromString(base64.b64decode(bundle["ledger"]["entry"]["block"]))


def with_block(bundle: Bundle, block: common_pb2.Block | bytes) -> Bundle:
    raw = block if isinstance(block, bytes) else block.SerializeToString()
    bundle["ledger"]["entry"]["block"] = base64.b64encode(raw).decode()
    return bundle


def replace_in_block(bundle: Bundle, old: str, new: str) -> Bundle:
    """Every occurrence of ``old`` in the block's bytes replaced (header left as it was)."""
    raw = base64.b64decode(bundle["ledger"]["entry"]["block"])
    assert old.encode() in raw
    return with_block(bundle, raw.replace(old.encode(), new.encode()))


def rehash(bundle: Bundle) -> Bundle:
    """The block's data hash recomputed over its (edited) transactions."""
    block = block_of(bundle)
    block.header.data_hash = hashlib.sha256(b"".join(block.data.data)).digest()
    return with_block(bundle, block)


def flag(code: int) -> Callable[[Bundle], Bundle]:
    """Set the validation flag of every transaction in the block to ``code``."""

    def edit(bundle: Bundle) -> Bundle:
        block = block_of(bundle)
        index = common_pb2.BlockMetadataIndex.TRANSACTIONS_FILTER
        block.metadata.metadata[index] = bytes([code]) * len(block.data.data)
        return with_block(bundle, block)

    return edit
