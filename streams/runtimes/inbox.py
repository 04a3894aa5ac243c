"""The embedded runtime's inbox: every input that changes its processors' state, in order, in the store.

One store inbox entry (store/base.py ``inbox_add``, box ``INBOX``) per step, msgpack-encoded (binary,
one row per micro-batch, cheap next to storing the readings):

- ``Batch``: a micro-batch's valid readings, voyage plans and source time, written in the unit of
  work that stores its outputs, so it is durable when ``ingest`` returns (where transports ack);
- ``Zones``: the zones put in force (at the first start, and by each swap);
- ``Flush``: the end of input (``finish``);
- ``Snap``: the processors' state (``Processors.snapshot``) and the zones in force, after some step.

Replaying the entries through fresh processors, in order, rebuilds the state they had (reorder
buffer included: the acknowledged readings it held) bit for bit, since processing is deterministic;
a ``Snap`` stands for every step before it, so those are dropped when it is written (compaction:
each entry's mark is the number of snapshots written before it, ``inbox_done`` drops the older
generations). The inbox then holds at most one snapshot and the steps since.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from cargotrail.contract.records import Reading, VoyagePlan
from cargotrail.errors import StoreCorrupt
from geofence.zones import Zone
from store.base import InboxEntry
from store.zone_rows import ZoneRow, zone_from_row, zone_row

INBOX = "embedded"  # the store inbox box of the embedded runtime


class Batch(msgspec.Struct, array_like=True, frozen=True, tag=0):
    readings: list[Reading]
    plans: list[VoyagePlan]
    source_time: float | None


class Zones(msgspec.Struct, array_like=True, frozen=True, tag=1):
    rows: list[ZoneRow]

    def zones(self) -> list[Zone]:
        return [zone_from_row(*row) for row in self.rows]


class Flush(msgspec.Struct, array_like=True, frozen=True, tag=2):
    pass


class Snap(msgspec.Struct, array_like=True, frozen=True, tag=3):
    rows: list[ZoneRow]  # the zones in force
    state: bytes  # ``Processors.snapshot`` under those zones

    def zones(self) -> list[Zone]:
        return [zone_from_row(*row) for row in self.rows]


Step = Batch | Zones | Flush | Snap

_encoder = msgspec.msgpack.Encoder()
_decoder: msgspec.msgpack.Decoder[Batch | Zones | Flush | Snap] = msgspec.msgpack.Decoder(Step)


def batch_entry(readings: Sequence[Reading], plans: Sequence[VoyagePlan], source_time: float | None) -> bytes:
    return _encoder.encode(Batch(list(readings), list(plans), source_time))


def zones_entry(zones: Sequence[Zone]) -> bytes:
    return _encoder.encode(Zones([zone_row(z) for z in zones]))


def flush_entry() -> bytes:
    return _encoder.encode(Flush())


def snap_entry(zones: Sequence[Zone], state: bytes) -> bytes:
    return _encoder.encode(Snap([zone_row(z) for z in zones], state))


def decode_step(entry: InboxEntry) -> Step:
    try:
        return _decoder.decode(entry.body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise StoreCorrupt(f"inbox {entry.box} entry {entry.seq} in the store is unreadable: {exc}") from exc
