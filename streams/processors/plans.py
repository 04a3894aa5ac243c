"""Voyage plans and the per-class limits they imply, indexed for vectorised lookups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt

from cargotrail.contract.records import ContainerClass, VoyagePlan
from cargotrail.settings import DEFAULT_THRESHOLDS, Thresholds


class PlanBook:
    """The current plan of every container, and its corridors as (container, zone) keys.

    Containers are numbered on first sight (``code``); a key is
    ``code * zone_count + zone_index`` so that "is this fix inside a corridor of
    its own plan" is one ``np.isin`` over a whole micro-batch.
    """

    def __init__(self, zone_ids: list[str], thresholds: Mapping[ContainerClass, Thresholds] | None = None):
        self._zone_index = {z: i for i, z in enumerate(zone_ids)}
        self.zone_count = max(len(zone_ids), 1)
        self.thresholds = dict(thresholds or DEFAULT_THRESHOLDS)
        self.plans: dict[str, VoyagePlan] = {}
        self.codes: dict[str, int] = {}
        self._corridors: dict[int, npt.NDArray[np.int64]] = {}
        self._keys: npt.NDArray[np.int64] | None = np.empty(0, np.int64)
        self._has_plan: list[bool] = []

    def code(self, container_id: str) -> int:
        c = self.codes.get(container_id)
        if c is None:
            c = self.codes[container_id] = len(self.codes)
            self._has_plan.append(False)
        return c

    def add(self, plans: Iterable[VoyagePlan]) -> None:
        for plan in plans:
            c = self.code(plan.container_id)
            self.plans[plan.container_id] = plan
            self._has_plan[c] = True
            idx = [self._zone_index[z] for z in plan.corridor_zone_ids if z in self._zone_index]
            self._corridors[c] = c * self.zone_count + np.asarray(idx, dtype=np.int64)
            self._keys = None

    def corridor_keys(self) -> npt.NDArray[np.int64]:
        if self._keys is None:
            parts = list(self._corridors.values())
            self._keys = np.unique(np.concatenate(parts)) if parts else np.empty(0, np.int64)
        return self._keys

    def has_plan(self, codes: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        return np.asarray(self._has_plan, dtype=bool)[codes] if len(codes) else np.zeros(0, bool)

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

    def signal_limit_s(self, container_id: str) -> float:
        plan = self.plans.get(container_id)
        limits = self.limits(container_id)
        interval = plan.report_interval_s if plan else 900.0
        return max(limits.signal_loss_min_s, limits.signal_loss_factor * interval)
