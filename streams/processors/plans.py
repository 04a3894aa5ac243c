"""Voyage plans and the per-class limits they imply, as arrays indexed by container code.

Containers are numbered on first sight (``code``). Every limit a rule needs is
kept in a numpy array by code, so a micro-batch looks up the limits of all its
readings at once (``plans.max_speed_kmh[codes]``) instead of one by one.
Each plan's corridors are a row of bits (one column per zone that is a corridor
of some plan): "is this fix inside a corridor of its own plan" is one gather
over the whole batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import repeat

import numpy as np
import numpy.typing as npt

from cargotrail.contract.records import ContainerClass, VoyagePlan
from cargotrail.settings import DEFAULT_THRESHOLDS, Thresholds

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

_LIMITS = ("max_speed_kmh", "shock_g", "stop_radius_m", "temp_low", "temp_high", "signal_limit_s")


class PlanBook:
    def __init__(self, zone_ids: list[str], thresholds: Mapping[ContainerClass, Thresholds] | None = None):
        self.thresholds = dict(thresholds or DEFAULT_THRESHOLDS)
        self.plans: dict[str, VoyagePlan] = {}
        self.codes: dict[str, int] = {}
        self.ids: list[str] = []  # code -> container id
        self._bits: npt.NDArray[np.uint8] = np.zeros((0, 1), np.uint8)  # code -> its plan's corridor bits
        self._index_zones(zone_ids)
        self._cap = 0
        self.has_plan_by_code: Bools = np.zeros(0, bool)
        self.max_speed_kmh: Floats = np.zeros(0)
        self.shock_g: Floats = np.zeros(0)
        self.stop_radius_m: Floats = np.zeros(0)
        self.temp_low: Floats = np.zeros(0)
        self.temp_high: Floats = np.zeros(0)
        self.signal_limit_s: Floats = np.zeros(0)

    def _index_zones(self, zone_ids: list[str]) -> None:
        self._zone_index = {z: i for i, z in enumerate(zone_ids)}
        self.zone_count = max(len(zone_ids), 1)
        self._column = np.full(len(zone_ids), -1, dtype=np.int64)  # zone index -> corridor bit column
        self._columns = 0
        self._bits[:] = 0

    def replace_zones(self, zone_ids: list[str]) -> None:
        """Zones are now ``zone_ids`` (by index): every plan's corridors are looked up again by zone id.

        A corridor zone a plan names that no longer exists is off its route until it is saved again.
        """
        self._index_zones(zone_ids)
        for cid, plan in self.plans.items():
            self._set_corridors(self.codes[cid], self._corridor_indices(plan))

    def __len__(self) -> int:
        return len(self.ids)

    def code(self, container_id: str) -> int:
        c = self.codes.get(container_id)
        if c is None:
            c = self.codes[container_id] = len(self.ids)
            self.ids.append(container_id)
            if c >= self._cap:
                self._grow(max(1024, 2 * self._cap))
            self._set_limits(c, None)
        return c

    def codes_of(self, container_ids: list[str]) -> list[int]:
        """``code`` of each id; known containers (nearly all of a batch) at dict speed."""
        known = self.codes.get
        return [c if (c := known(cid)) is not None else self.code(cid) for cid in container_ids]

    def known_codes(self, container_ids: list[str]) -> Ints:
        """``code`` of each id, -1 for ids not seen yet (none is given a code here)."""
        codes = map(self.codes.get, container_ids, repeat(-1))
        return np.fromiter(codes, dtype=np.int64, count=len(container_ids))

    def _grow(self, cap: int) -> None:
        self.has_plan_by_code = np.resize(self.has_plan_by_code, cap)
        bits = np.zeros((cap, self._bits.shape[1]), np.uint8)
        bits[: len(self._bits)] = self._bits
        self._bits = bits
        for name in _LIMITS:
            setattr(self, name, np.resize(getattr(self, name), cap))
        self._cap = cap

    def _set_limits(self, c: int, plan: VoyagePlan | None) -> None:
        cid = self.ids[c]
        limits = self.limits(cid)
        band = self.temp_band(cid)
        self.has_plan_by_code[c] = plan is not None
        self.max_speed_kmh[c] = limits.max_speed_kmh
        self.shock_g[c] = limits.shock_g
        self.stop_radius_m[c] = limits.stop_radius_m
        self.temp_low[c], self.temp_high[c] = band if band else (-np.inf, np.inf)
        self.signal_limit_s[c] = self.signal_limit(cid)

    def add(self, plans: Iterable[VoyagePlan]) -> None:
        for plan in plans:
            c = self.code(plan.container_id)
            self.plans[plan.container_id] = plan
            self._set_limits(c, plan)
            self._set_corridors(c, self._corridor_indices(plan))

    def _corridor_indices(self, plan: VoyagePlan) -> Ints:
        idx = [self._zone_index[z] for z in plan.corridor_zone_ids if z in self._zone_index]
        return np.asarray(idx, dtype=np.int64)

    def _set_corridors(self, c: int, zones: Ints) -> None:
        fresh = np.unique(zones[self._column[zones] < 0])
        if fresh.size:
            self._column[fresh] = self._columns + np.arange(fresh.size)
            self._columns += fresh.size
            width = -(-self._columns // 8)
            if width > self._bits.shape[1]:
                grown = np.zeros((len(self._bits), max(width, 2 * self._bits.shape[1])), np.uint8)
                grown[:, : self._bits.shape[1]] = self._bits
                self._bits = grown
        row = np.zeros(self._bits.shape[1] * 8, dtype=bool)
        row[self._column[zones]] = True
        self._bits[c] = np.packbits(row, bitorder="little")

    def on_corridor(self, codes: Ints, zones: Ints) -> Bools:
        """Element-wise: is zone ``zones[i]`` a corridor of the plan of container ``codes[i]``."""
        col = self._column[zones]
        safe = np.maximum(col, 0)
        bit = (self._bits[codes, safe >> 3] >> (safe & 7).astype(np.uint8)) & 1
        return np.asarray((col >= 0) & (bit == 1))

    def has_plan(self, codes: Ints) -> Bools:
        return self.has_plan_by_code[codes]

    def limits(self, container_id: str) -> Thresholds:
        plan = self.plans.get(container_id)
        return self.thresholds[plan.container_class if plan else ContainerClass.DRY]

    def temp_band(self, container_id: str) -> tuple[float, float] | None:
        plan = self.plans.get(container_id)
        if plan is None or plan.container_class is not ContainerClass.REEFER:
            return None
        limits = self.thresholds[ContainerClass.REEFER]
        low = plan.temp_min_c if plan.temp_min_c is not None else limits.temp_min_c
        high = plan.temp_max_c if plan.temp_max_c is not None else limits.temp_max_c
        return None if low is None or high is None else (low, high)

    def signal_limit(self, container_id: str) -> float:
        plan = self.plans.get(container_id)
        limits = self.limits(container_id)
        interval = plan.report_interval_s if plan else 900.0
        return max(limits.signal_loss_min_s, limits.signal_loss_factor * interval)
