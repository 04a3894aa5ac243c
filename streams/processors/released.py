"""One released micro-batch, as the columns every pass shares, with its reading ids.

No pass walks ``Reading`` objects again except on its rare per-container slow path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cargotrail.contract.ids import reading_ids
from cargotrail.contract.records import Reading
from streams.processors.plans import PlanBook
from streams.processors.table import ReadingTable, object_array

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Objects = npt.NDArray[np.object_]


@dataclass(frozen=True)
class Released:
    """Parallel columns, in release (device-time) order; ``codes`` are ``PlanBook`` codes,
    ``ids`` the reading ids (``id_arr`` the same as an array).

    ``temp`` and ``shock`` are NaN where the reading has no such sensor value;
    ``door`` is True only where the door is reported open.
    """

    readings: list[Reading]
    ids: list[str]
    id_arr: Objects
    devices: Objects
    containers: Objects
    codes: Ints
    ts: Floats
    lon: Floats
    lat: Floats
    temp: Floats
    shock: Floats
    door: Bools

    def __len__(self) -> int:
        return len(self.readings)

    @classmethod
    def of(cls, table: ReadingTable, device_names: Objects, plans: PlanBook) -> Released:
        """The released ``table``; containers first seen since it was read get their codes now, in order."""
        codes = table.plan_code
        new = np.flatnonzero(codes < 0)
        if new.size:
            codes = codes.copy()
            codes[new] = plans.codes_of(table.container[new].tolist())
        devices = device_names[table.device]
        ids = reading_ids(devices.tolist(), table.seq.tolist())
        return cls(
            readings=table.readings.tolist(),
            ids=ids,
            id_arr=object_array(ids),
            devices=devices,
            containers=table.container,
            codes=codes,
            ts=table.ts,
            lon=table.lon,
            lat=table.lat,
            temp=table.temp,
            shock=table.shock,
            door=table.door,
        )
