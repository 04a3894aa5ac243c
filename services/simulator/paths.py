"""All polylines the fleet moves along, concatenated for one vectorised lookup.

Contract: ``PathBook.add(lats, lons)`` registers a polyline (already densified)
and returns its id; ``locate(ids, dist_km)`` returns lat, lon and the heading
of travel for every row at once, ``dist_km`` being clipped to [0, length].
Paths sit on one global distance axis, each at its own base with a gap after
it, so a single ``np.interp`` serves every row whatever its path: positions are
linear in lon/lat between vertices, i.e. exactly on the corridor's line.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from services.simulator.geo import bearing_deg, haversine_km

FloatArray = npt.NDArray[np.float64]
_GAP_KM = 1000.0


class PathBook:
    def __init__(self) -> None:
        self._lats: list[FloatArray] = []
        self._lons: list[FloatArray] = []
        self._lengths: list[float] = []
        self._frozen = False
        self.base = np.zeros(0)
        self.length = np.zeros(0)

    def add(self, lats: FloatArray, lons: FloatArray) -> int:
        if len(lats) < 2:
            raise ValueError("a path needs at least two vertices")
        self._lats.append(np.asarray(lats, dtype=float))
        self._lons.append(np.asarray(lons, dtype=float))
        self._lengths.append(float(np.sum(haversine_km(lats[:-1], lons[:-1], lats[1:], lons[1:]))))
        self._frozen = False
        return len(self._lats) - 1

    def freeze(self) -> None:
        cum_parts, base = [], 0.0
        bases = []
        for lats, lons in zip(self._lats, self._lons, strict=True):
            seg = haversine_km(lats[:-1], lons[:-1], lats[1:], lons[1:])
            cum_parts.append(base + np.concatenate(([0.0], np.cumsum(seg))))
            bases.append(base)
            base = float(cum_parts[-1][-1]) + _GAP_KM
        self.cum = np.concatenate(cum_parts)
        self.lat = np.concatenate(self._lats)
        self.lon = np.concatenate(self._lons)
        # heading of the segment starting at each vertex (the last vertex repeats its predecessor's)
        hd = bearing_deg(self.lat[:-1], self.lon[:-1], self.lat[1:], self.lon[1:])
        self.seg_heading = np.concatenate((hd, hd[-1:]))
        ends = np.cumsum([len(x) for x in self._lats]) - 1
        self.seg_heading[ends[:-1]] = self.seg_heading[ends[:-1] - 1]
        self.base = np.asarray(bases)
        self.length = np.asarray(self._lengths)
        self._frozen = True

    def locate(
        self, ids: npt.NDArray[np.int64], dist_km: FloatArray, reverse: npt.NDArray[np.bool_] | None = None
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Positions ``dist_km`` along paths ``ids`` (from the far end where ``reverse``)."""
        if not self._frozen:
            self.freeze()
        length = self.length[ids]
        d = np.clip(dist_km, 0.0, length)
        if reverse is not None:
            d = np.where(reverse, length - d, d)
        g = self.base[ids] + d
        lat = np.interp(g, self.cum, self.lat)
        lon = np.interp(g, self.cum, self.lon)
        seg = np.clip(np.searchsorted(self.cum, g, side="right") - 1, 0, len(self.cum) - 1)
        heading = self.seg_heading[seg]
        if reverse is not None:
            heading = np.where(reverse, (heading + 180.0) % 360.0, heading)
        return lat, lon, heading
