"""Readings as columns, read from the ``Reading`` records once, on arrival.

Every later step (reordering, the GPS-jump filter, geofences, rules) works on these
columns, so no step walks the records again (but for its rare per-container slow
path): reading a field of a record costs a cache miss or two, once per field.

Native switch: when the optional C accelerator ``streams.processors._table`` was built
(``setup.py``), ``read_table`` reads every field of a record in one pass in C;
``read_table_py`` is the reference (tests hold the two equal) and takes over for any
batch outside the native fast path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

import numpy as np
import numpy.typing as npt

from cargotrail.contract.records import Reading
from streams.processors.devices import DeviceRanks
from streams.processors.plans import PlanBook

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Objects = npt.NDArray[np.object_]

try:
    import streams.processors._table as _table
except ImportError:  # built without a compiler: pure Python, same results
    _table = None  # type: ignore[assignment]

#: The C accelerator module or None (tests switch it off to compare with the reference).
_native = _table
#: True when the C accelerator is in use.
NATIVE = _native is not None
_timestamp = datetime.timestamp


def object_array(items: Sequence[object]) -> Objects:
    """A 1-d object array of ``items`` (never unpacked, even if an item is a sequence)."""
    return np.fromiter(items, dtype=object, count=len(items))


def int_column(values: list[int]) -> Ints | Objects:
    """``values`` as int64, or as Python ints (still sortable) when one does not fit in 64 bits."""
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        return object_array(values)


@dataclass(frozen=True)
class ReadingTable:
    """Parallel columns of readings.

    ``device`` holds device codes (``DeviceRanks``); ``plan_code`` the ``PlanBook`` code of
    the container, or -1 when it had none yet when read. ``temp`` and ``shock`` are NaN
    where the reading has no such value; ``door`` is True only where the door is reported open.
    """

    readings: Objects
    ts: Floats
    device: Ints
    seq: Ints | Objects
    container: Objects
    plan_code: Ints
    lon: Floats
    lat: Floats
    temp: Floats
    shock: Floats
    door: Bools

    def __len__(self) -> int:
        return len(self.ts)

    def take(self, rows: Ints) -> ReadingTable:
        return ReadingTable(*(getattr(self, f.name)[rows] for f in fields(self)))

    def concat(self, other: ReadingTable) -> ReadingTable:
        pairs = ((getattr(self, f.name), getattr(other, f.name)) for f in fields(self))
        return ReadingTable(*(np.concatenate(pair) for pair in pairs))

    @classmethod
    def empty(cls) -> ReadingTable:
        floats, ints, objects = np.empty(0), np.empty(0, dtype=np.int64), object_array([])
        bools = np.empty(0, dtype=bool)
        return cls(objects, floats, ints, ints, objects, ints, floats, floats, floats, floats, bools)


def read_table(readings: list[Reading], devices: DeviceRanks, plans: PlanBook) -> ReadingTable:
    """The columns of ``readings``: ``read_table_py``, in one native call when it can."""
    if _native is None:
        return read_table_py(readings, devices, plans)
    n = len(readings)
    floats = [np.empty(n) for _ in range(5)]
    ints = [np.empty(n, dtype=np.int64) for _ in range(3)]
    door = np.empty(n, dtype=bool)
    try:
        columns = (*floats, *ints, door)
        device_ids, container_ids = _native.read_columns(readings, devices.codes, plans.codes, *columns)
    except Exception:  # outside the fast path, or bad input: the reference decides, and words any error
        return read_table_py(readings, devices, plans)
    ts, lon, lat, temp, shock = floats
    seq, device, plan_code = ints
    new = np.flatnonzero(device < 0)
    if new.size:
        device[new] = devices.code_all([device_ids[i] for i in new.tolist()])
    rs, containers = object_array(readings), object_array(container_ids)
    return ReadingTable(rs, ts, device, seq, containers, plan_code, lon, lat, temp, shock, door)


def read_table_py(readings: Sequence[Reading], devices: DeviceRanks, plans: PlanBook) -> ReadingTable:
    """The columns of ``readings``, one field at a time: the reference."""
    rs = readings
    containers = [r.container_id for r in rs]
    return ReadingTable(
        readings=object_array(rs),
        ts=np.array([_timestamp(r.ts) for r in rs], dtype=np.float64),
        device=devices.code_all([r.device_id for r in rs]),
        seq=int_column([r.seq for r in rs]),
        container=object_array(containers),
        plan_code=plans.known_codes(containers),
        lon=np.array([r.lon for r in rs], dtype=np.float64),
        lat=np.array([r.lat for r in rs], dtype=np.float64),
        # None becomes NaN in a float64 array: "no such sensor".
        temp=np.array([r.temperature_c for r in rs], dtype=np.float64),
        shock=np.array([r.shock_g for r in rs], dtype=np.float64),
        door=np.array([r.door_open is True for r in rs], dtype=bool),
    )
