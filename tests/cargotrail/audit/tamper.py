"""Tampering helpers: change stored bytes the way someone with database access would."""

from __future__ import annotations

import json

from tests.cargotrail.audit.conftest import DataSet

_NUMBER = b"0123456789.-"


def flip_digit(body: bytes, key: str) -> bytes:
    """``body`` with the last digit of the number at ``key`` changed: exactly one byte differs."""
    start = body.index(f'"{key}":'.encode()) + len(key) + 3
    end = start
    while body[end] in _NUMBER:
        end += 1
    last = end - 1
    digit = (body[last] - ord("0") + 1) % 10
    return body[:last] + str(digit).encode() + body[last + 1 :]


def flip_hex(value: str) -> str:
    """``value`` (hex) with its first character changed."""
    return ("1" if value[0] == "0" else "0") + value[1:]


def edit_json_row(data: DataSet, table: str, key: str, key_value: str, change: dict[str, object]) -> None:
    """Rewrite fields of the JSON ``body`` of one row (keyed ``key = key_value``)."""
    ((body,),) = data.sql(f"SELECT body FROM {table} WHERE {key} = ?", key_value)
    obj = json.loads(bytes(body))
    obj.update(change)
    data.sql(f"UPDATE {table} SET body = ? WHERE {key} = ?", json.dumps(obj).encode(), key_value)


def ids(data: DataSet, sql: str, *args: object) -> list[str]:
    return [str(r[0]) for r in data.sql(sql, *args)]


def set_leaf(data: DataSet, batch_id: str, index: int, leaf: bytes) -> None:
    """Overwrite one stored leaf hash of a batch (proofs are recomputed from these)."""
    ((blob,),) = data.sql("SELECT leaves FROM batch_leaves WHERE batch_id = ?", batch_id)
    blob = bytes(blob)
    data.sql(
        "UPDATE batch_leaves SET leaves = ? WHERE batch_id = ?",
        blob[: 32 * index] + leaf + blob[32 * (index + 1) :],
        batch_id,
    )


def unlist_record(data: DataSet, record_id: str) -> None:
    """Blank a record's id in its batch's packed ids, as if its proof had been removed."""
    for batch, packed in data.sql("SELECT batch_id, record_ids FROM batch_leaves"):
        packed = bytes(packed)
        at = packed.find(record_id.encode())
        if at >= 0 and at % 32 == 0:
            data.sql(
                "UPDATE batch_leaves SET record_ids = ? WHERE batch_id = ?",
                packed[:at] + b"0" * 32 + packed[at + 32 :],
                batch,
            )
            return
    raise AssertionError(f"{record_id} is in no batch")
