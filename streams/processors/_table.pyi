"""Types of the optional C accelerator (streams/processors/_table.c); see streams.processors.table."""

from typing import Any

import numpy as np
import numpy.typing as npt

from cargotrail.contract.records import Reading

class Unsupported(Exception):
    """Input outside the native fast path: the caller uses the Python reference instead."""

def read_columns(
    readings: list[Reading],
    device_codes: dict[str, int],
    plan_codes: dict[str, int],
    ts: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    temp: npt.NDArray[np.float64],
    shock: npt.NDArray[np.float64],
    seq: npt.NDArray[np.int64],
    device: npt.NDArray[np.int64],
    plan: npt.NDArray[np.int64],
    door: npt.NDArray[np.bool_],
    /,
) -> tuple[list[Any], list[Any]]: ...
