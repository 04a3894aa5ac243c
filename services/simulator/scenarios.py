"""Scenario injection: which anomalies a run carries, its ground truth, and applying them.

Contract:

* ``plan_anomalies`` is deterministic for a seed and places up to the asked
  number per kind (fewer only when the fleet offers no clean spot, e.g. too few
  reefers or no route past a restricted zone within the horizon). A container
  carries at most one anomaly, which keeps any two anomalies on one container
  far more than 12 h apart. How each kind is shaped is in ``placement.py``.
* ``GroundTruth`` windows: ``start`` is the first anomalous fix and ``end`` the
  last one (signal loss: the last fix before the gap and the first after it).
* ``write_ground_truth`` writes one JSON object per line, in truth order.
* ``Injector.apply`` rewrites a batch of normal fixes in place and returns the
  mask of fixes to keep; it touches only the containers that carry anomalies.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import datetime

import msgspec
import numpy as np
import numpy.typing as npt

from cargotrail.contract.records import AlertKind
from services.simulator.context import Anomaly, Context
from services.simulator.placement import PLACERS
from services.simulator.track import Fixes


class GroundTruth(msgspec.Struct, frozen=True, kw_only=True):
    """One injected anomaly: the detector should raise ``kind`` for this container in [start, end]."""

    container_id: str
    kind: AlertKind
    start: datetime
    end: datetime


def write_ground_truth(path: str | os.PathLike[str], truths: Iterable[GroundTruth]) -> None:
    """Write ``truths`` as JSON lines (RFC 3339 timestamps)."""
    enc = msgspec.json.Encoder()
    with open(path, "wb") as fh:
        for t in truths:
            fh.write(enc.encode(t))
            fh.write(b"\n")


def read_ground_truth(path: str | os.PathLike[str]) -> list[GroundTruth]:
    dec = msgspec.json.Decoder(GroundTruth)
    with open(path, "rb") as fh:
        return [dec.decode(line) for line in fh if line.strip()]


def counts_per_kind(anomalies_per_kind: int | Mapping[AlertKind, int]) -> dict[AlertKind, int]:
    if isinstance(anomalies_per_kind, int):
        return {k: anomalies_per_kind for k in AlertKind}
    return {k: int(anomalies_per_kind.get(k, 0)) for k in AlertKind}


def plan_anomalies(ctx: Context, n_containers: int, counts: Mapping[AlertKind, int]) -> list[Anomaly]:
    """Place the anomalies kind by kind (stops first), each on a fresh container."""
    used: set[int] = set()
    out: list[Anomaly] = []
    order = ctx.rng.permutation(n_containers)
    for kind, placer in PLACERS.items():
        want, got, tried = counts.get(kind, 0), 0, 0
        for c in order.tolist():
            if got >= want or tried >= 50 * want + 200:  # bounded effort: a sparse kind stays short
                break
            if c in used:
                continue
            tried += 1
            anomaly = placer(ctx, c)
            if anomaly is not None:
                used.add(c)
                out.append(anomaly)
                got += 1
    out.sort(key=lambda a: (a.truth[0], a.c, a.kind.value))
    return out


class Injector:
    """Applies planned anomalies to batches of fixes (keyed by container and fix number)."""

    def __init__(self, anomalies: list[Anomaly]) -> None:
        self.anomalies = anomalies
        self.fields: dict[tuple[int, int], dict[str, float | bool]] = {}
        self.drops: dict[int, list[tuple[int, int]]] = {}
        for a in anomalies:
            for k, f in a.fields.items():
                self.fields[(a.c, k)] = f
            if a.drop is not None:
                self.drops.setdefault(a.c, []).append(a.drop)
        self.containers = np.asarray(sorted({a.c for a in anomalies}), dtype=np.int64)

    def apply(self, fx: Fixes) -> npt.NDArray[np.bool_]:
        keep = np.ones(len(fx.c), dtype=bool)
        if not len(self.containers):
            return keep
        for i in np.flatnonzero(np.isin(fx.c, self.containers)).tolist():
            c, k = int(fx.c[i]), int(fx.k[i])
            for a, b in self.drops.get(c, ()):
                if a <= k < b:
                    keep[i] = False
            f = self.fields.get((c, k))
            if f is None:
                continue
            for name, value in f.items():
                getattr(fx, name)[i] = value
        return keep
