"""The data the zone tracker consumes, keeps and returns (re-exported by ``geofence.transitions``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
import numpy as np
import numpy.typing as npt

from cargotrail.contract.ids import reading_id
from cargotrail.contract.records import GeofenceEvent, Reading

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]  # of str


class ContainerZones(msgspec.Struct):
    """Per-container geofence state, in device time (epoch seconds).

    ``inside`` maps the id of every zone containing the last processed fix to the
    time the container entered it; ``dwell_fired`` lists the zones whose dwell
    alert already fired during the current visit. The ``last_*`` fields describe
    the last processed fix (the evidence of timer-fired dwell alerts). Invariants:
    ``dwell_fired`` is a subset of ``inside``; only the tracker mutates it. Plain
    msgspec data, so it can live in a changelog-backed table.
    """

    last_ts: float
    last_lon: float
    last_lat: float
    last_reading_id: str
    last_device_id: str
    inside: dict[str, float] = {}
    dwell_fired: list[str] = []


@dataclass(frozen=True)
class Fixes:
    """One micro-batch of position fixes as parallel columns (the ids as lists or object arrays of str).

    Precondition: fixes of one container appear in ascending ``ts`` order (fixes of
    different containers may interleave freely). Coordinates are lon/lat degrees,
    ``ts`` epoch seconds; all must be finite (``ValueError`` otherwise).
    """

    container_ids: Sequence[str] | ObjectArray
    device_ids: Sequence[str] | ObjectArray
    reading_ids: Sequence[str] | ObjectArray
    ts: FloatArray
    lons: FloatArray
    lats: FloatArray

    def __post_init__(self) -> None:
        for name in ("ts", "lons", "lats"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        n = len(self.container_ids)
        if not (
            len(self.device_ids)
            == len(self.reading_ids)
            == len(self.ts)
            == len(self.lons)
            == len(self.lats)
            == n
        ):
            raise ValueError("Fixes: all columns must have the same length")
        if not (np.isfinite(self.ts).all() and np.isfinite(self.lons).all() and np.isfinite(self.lats).all()):
            raise ValueError("Fixes: ts, lons and lats must be finite")

    def __len__(self) -> int:
        return len(self.container_ids)

    @classmethod
    def from_readings(cls, readings: Sequence[Reading]) -> Fixes:
        """Columns of ``readings`` (reading ids from ``cargotrail.contract.ids.reading_id``)."""
        return cls(
            container_ids=[r.container_id for r in readings],
            device_ids=[r.device_id for r in readings],
            reading_ids=[reading_id(r.device_id, r.seq) for r in readings],
            ts=np.array([r.ts.timestamp() for r in readings], dtype=np.float64),
            lons=np.array([r.lon for r in readings], dtype=np.float64),
            lats=np.array([r.lat for r in readings], dtype=np.float64),
        )


@dataclass(frozen=True)
class TrackerOutput:
    """What one micro-batch produced.

    ``events`` in fix order; ``late[i]`` is True when fix ``i`` was at or before its
    container's last processed ts (ignored); ``zone_hits`` = (fix_indices, zone_indices)
    of every zone containing every non-late fix, sorted by fix then zone, so later
    processors can reuse the spatial query.
    """

    events: list[GeofenceEvent]
    late: BoolArray
    zone_hits: tuple[IntArray, IntArray]
