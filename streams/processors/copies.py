"""Copies of readings taken before: found so that every reading is processed, stored and anchored once.

A reading is unique by device and sequence number (its id, ``cargotrail.contract.ids.reading_id``).
A second reading with the same pair is a copy, whatever else it carries: an MQTT message delivered
again because its acknowledgement was lost, a client retrying a batch the server had taken. The
first one taken wins; ``Processors.process`` drops copies before the reorder buffer sees them and
reports their positions (``StageResult.duplicates``).

Where the first one can be when a copy arrives, and how it is found:

- earlier in the same micro-batch, or held by the reorder buffer: here, in memory, exactly
  (``find_copies``). What the buffer holds is part of the processors' snapshot, so restored
  processors find the same copies;
- released already (processed, stored, anchored): the copy is then late, its device time at or
  before the watermark, and the caller's ``Stored`` lookup is asked which of the late readings'
  ids are stored readings (``stored_copies``: one call per micro-batch, only when some are late;
  the embedded runtime passes the store's indexed lookup). Late readings are rare, so the usual
  micro-batch asks nothing.

How (not part of the contract): one 64-bit key per (device, seq) pair; one sort of the keys held and
arriving says whether any two are equal (~0.1 ms for 5,000 readings against 7,000 held). Only then
are the pairs themselves compared, in arrival order, so a collision of keys never drops a reading.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import numpy as np
import numpy.typing as npt

from cargotrail.contract.ids import reading_ids
from streams.processors.table import ReadingTable

Ints = npt.NDArray[np.int64]
Objects = npt.NDArray[np.object_]

#: Which of these reading ids are stored readings already (the store's lookup, for late readings).
Stored = Callable[[list[str]], Collection[str]]

_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd: seq -> seq * _MIX is one-to-one on 64 bits
_NONE: Ints = np.empty(0, dtype=np.int64)


def find_copies(held: ReadingTable, table: ReadingTable) -> Ints:
    """Rows of ``table`` (ascending) whose (device, seq) is among ``held`` or earlier in ``table``.

    Both tables take their device codes from the same ``DeviceRanks``.
    """
    if not len(table):
        return _NONE
    device = np.concatenate((held.device, table.device))
    seq = np.concatenate((held.seq, table.seq))  # object dtype when either holds a seq beyond 64 bits
    keys = _keys(device, seq)
    ordered = np.sort(keys)
    if not (ordered[1:] == ordered[:-1]).any():  # the usual case: no two keys alike
        return _NONE
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    alike = ordered[1:] == ordered[:-1]
    in_run = np.zeros(len(keys), dtype=bool)
    in_run[1:] |= alike
    in_run[:-1] |= alike
    rows = np.sort(order[in_run])  # every reading whose key another shares, in arrival order
    first = len(held)
    seen: set[tuple[int, object]] = set()
    copies: list[int] = []
    pairs = zip(device[rows].tolist(), seq[rows].tolist(), strict=True)
    for row, pair in zip(rows.tolist(), pairs, strict=True):
        if pair not in seen:
            seen.add(pair)
        elif row >= first:
            copies.append(row - first)
    return np.array(copies, dtype=np.int64)


def stored_copies(table: ReadingTable, late: Ints, device_names: Objects, stored: Stored) -> Ints:
    """Rows of ``late`` (rows of ``table``, ascending) that ``stored`` knows as stored readings."""
    if not late.size:
        return _NONE
    ids = reading_ids(device_names[table.device[late]].tolist(), table.seq[late].tolist())
    found = stored(ids)
    if not found:
        return _NONE
    hit = np.fromiter((i in found for i in ids), dtype=bool, count=len(ids))
    return np.asarray(late[hit], dtype=np.int64)


def _keys(device: Ints, seq: npt.NDArray[Any]) -> npt.NDArray[np.uint64]:
    """One key per (device, seq): equal pairs have equal keys (unequal ones almost never)."""
    if seq.dtype == object:  # Python's hash: equal ints hash alike, whatever their size
        seq = np.fromiter(map(hash, seq.tolist()), dtype=np.int64, count=len(seq))
    # Reinterpreted, not converted: a negative seq wraps around like any other.
    keys: npt.NDArray[np.uint64] = np.ascontiguousarray(seq, dtype=np.int64).view(np.uint64) * _MIX
    return keys ^ device.view(np.uint64)
