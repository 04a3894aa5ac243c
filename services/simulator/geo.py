"""Small spherical-earth helpers, vectorised with numpy.

Contract: every function takes and returns degrees (lat, lon) and kilometres,
accepts scalars or arrays (broadcasting like numpy) and never wraps longitudes:
the simulator keeps all tracks inside [-180, 180] without crossing the
antimeridian, so planar interpolation in lon/lat is well defined.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEG_LAT = np.pi * EARTH_RADIUS_KM / 180.0

FloatArray = npt.NDArray[np.float64]
ArrayLike = Any  # float or ndarray; numpy broadcasting does the rest


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> Any:
    """Great-circle distance in km."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def bearing_deg(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> Any:
    """Initial bearing from point 1 to point 2, degrees clockwise from north in [0, 360)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    y = np.sin(dlmb) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dlmb)
    return np.degrees(np.arctan2(y, x)) % 360.0


def offset(lat: ArrayLike, lon: ArrayLike, north_km: ArrayLike, east_km: ArrayLike) -> tuple[Any, Any]:
    """Move a point by small north/east distances (local flat-earth approximation).

    Good to well under 1 % for offsets of a few hundred km away from the poles,
    which is all the simulator needs (berth jitter, GPS noise, detours).
    """
    dlat = np.asarray(north_km) / KM_PER_DEG_LAT
    dlon = np.asarray(east_km) / (KM_PER_DEG_LAT * np.cos(np.radians(lat)))
    return np.asarray(lat) + dlat, np.asarray(lon) + dlon


def densify(lats: list[float], lons: list[float], max_step_km: float = 50.0) -> tuple[FloatArray, FloatArray]:
    """Insert vertices along each straight lon/lat segment so no step exceeds ``max_step_km``.

    The inserted vertices lie exactly on the planar lon/lat segment, so a track
    interpolated along the result stays on the same line the corridor
    LineString describes; the short steps make per-step haversine lengths an
    accurate measure of distance travelled along that line.
    """
    out_lat: list[float] = [lats[0]]
    out_lon: list[float] = [lons[0]]
    for i in range(1, len(lats)):
        d = float(haversine_km(lats[i - 1], lons[i - 1], lats[i], lons[i]))
        n = max(1, int(np.ceil(d / max_step_km)))
        f = np.arange(1, n + 1) / n
        out_lat.extend((lats[i - 1] + f * (lats[i] - lats[i - 1])).tolist())
        out_lon.extend((lons[i - 1] + f * (lons[i] - lons[i - 1])).tolist())
    return np.asarray(out_lat), np.asarray(out_lon)


def point_segment_km(
    lat: ArrayLike, lon: ArrayLike, lat1: float, lon1: float, lat2: float, lon2: float
) -> Any:
    """Distance from points to the planar lon/lat segment (1)-(2), in km.

    Uses an equirectangular projection centred on each query point: exact
    enough (< 1 %) for the clearance checks of restricted zones and detours.
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    kx = KM_PER_DEG_LAT * np.cos(np.radians(lat))
    ax, ay = (lon1 - lon) * kx, (lat1 - lat) * KM_PER_DEG_LAT
    bx, by = (lon2 - lon) * kx, (lat2 - lat) * KM_PER_DEG_LAT
    dx, dy = bx - ax, by - ay
    den = dx * dx + dy * dy
    t = np.where(den > 0, np.clip(-(ax * dx + ay * dy) / np.where(den > 0, den, 1.0), 0.0, 1.0), 0.0)
    px, py = ax + t * dx, ay + t * dy
    return np.hypot(px, py)
