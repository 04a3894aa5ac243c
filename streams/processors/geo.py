"""Great-circle distances, vectorised (the processors' only geodesy)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_M = 6_371_008.8

Floats = npt.NDArray[np.float64]


def haversine_m(
    lon0: Floats | float, lat0: Floats | float, lon1: Floats | float, lat1: Floats | float
) -> Floats:
    """Distance in metres between (lon0, lat0) and (lon1, lat1), element-wise."""
    p0 = np.radians(lat0)
    p1 = np.radians(lat1)
    dp = p1 - p0
    dl = np.radians(np.asarray(lon1) - np.asarray(lon0))
    a = np.sin(dp / 2) ** 2 + np.cos(p0) * np.cos(p1) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0))), dtype=np.float64)
