"""From records to leaves and proofs: record ids, leaf hashes, batch proofs.

Contract: a record's leaf is ``leaf_hash(canonical_bytes(record))`` and its
id is its deterministic contract id (``record_id``). ``batch_proofs`` turns
one batch's stored tree levels into one ``Proof`` per leaf, in leaf order,
hexing each tree node once (a node appears in up to n/2 paths).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

from cargotrail.contract.ids import reading_id, rfid_id
from cargotrail.contract.records import Alert, GeofenceEvent, Proof, Reading, RfidRead
from cargotrail.errors import ValidationError
from ledger.core.merkle import all_paths

#: The record types that are anchored, one leaf each.
Anchorable = Reading | RfidRead | GeofenceEvent | Alert


def record_id(record: Anchorable) -> str:
    """The deterministic id an auditor looks a record up by."""
    if isinstance(record, Reading):
        return reading_id(record.device_id, record.seq)
    if isinstance(record, RfidRead):
        return rfid_id(record.reader_id, record.tag_epc, record.ts)
    if isinstance(record, GeofenceEvent):
        return record.event_id
    if isinstance(record, Alert):
        return record.alert_id
    raise ValidationError(f"{type(record).__name__} records are not anchored", record=repr(record)[:80])


def batch_proofs(batch_id: str, record_ids: Sequence[str], levels: Sequence[Sequence[bytes]]) -> list[Proof]:
    """One ``Proof`` per leaf of the tree ``levels`` (see ``merkle.tree_levels``)."""
    if len(record_ids) != len(levels[0]):
        raise ValueError(f"{len(record_ids)} record ids for {len(levels[0])} leaves in batch {batch_id}")
    hex_levels = [[node.hex() for node in level] for level in levels]
    paths = all_paths(hex_levels)
    size = len(record_ids)
    return [
        Proof(record_id=rid, batch_id=batch_id, leaf_hash=leaf, leaf_index=i, tree_size=size, path=path)
        for i, (rid, leaf, path) in enumerate(zip(record_ids, hex_levels[0], paths, strict=True))
    ]


class BatchProofs(Sequence[Proof]):
    """The proofs of one batch, built only when asked for.

    A sink that keeps the leaves and recomputes proofs on read (the SQLite store)
    needs only ``record_ids`` and ``leaves``; building a ``Proof`` with its hex
    path for every record would cost more than hashing it. Indexing or iterating
    builds them all once (``batch_proofs``) and keeps them.
    """

    def __init__(self, batch_id: str, record_ids: Sequence[str], levels: Sequence[Sequence[bytes]]) -> None:
        if len(record_ids) != len(levels[0]):
            raise ValueError(f"{len(record_ids)} record ids for {len(levels[0])} leaves in batch {batch_id}")
        self.batch_id = batch_id
        self.record_ids = list(record_ids)
        self.levels = levels
        self._built: list[Proof] | None = None

    @property
    def leaves(self) -> Sequence[bytes]:
        return self.levels[0]

    def _all(self) -> list[Proof]:
        if self._built is None:
            self._built = batch_proofs(self.batch_id, self.record_ids, self.levels)
        return self._built

    def __len__(self) -> int:
        return len(self.record_ids)

    @overload
    def __getitem__(self, index: int) -> Proof: ...
    @overload
    def __getitem__(self, index: slice) -> list[Proof]: ...
    def __getitem__(self, index: int | slice) -> Proof | list[Proof]:
        return self._all()[index]
