"""Detection quality against the ground truth: precision and recall per anomaly kind.

Contract: an alert *matches* a truth of the same container and kind when
``truth.start - 900 s <= alert.ts <= truth.end + tolerance_s``. Per kind:
``tp`` = alerts that match some truth, ``fp`` = alerts that match none,
``fn`` = truths no alert matches; ``precision`` = tp / alerts of that kind
(1.0 when there are none), ``recall`` = truths with at least one matching
alert / truths of that kind (1.0 when there are none). Every ``AlertKind``
gets an entry, so a report always has the same shape.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from cargotrail.contract.records import AlertKind
from services.simulator.scenarios import GroundTruth

EARLY_S = 900.0


class AlertLike(Protocol):
    """What scoring reads of an alert (``cargotrail.contract.records.Alert`` has it)."""

    @property
    def container_id(self) -> str: ...
    @property
    def kind(self) -> AlertKind: ...
    @property
    def ts(self) -> datetime: ...


def score(
    alerts: Iterable[AlertLike], truths: Iterable[GroundTruth], tolerance_s: float = 7200.0
) -> dict[str, dict[str, float]]:
    by_key: dict[tuple[str, AlertKind], list[GroundTruth]] = defaultdict(list)
    truth_count: dict[AlertKind, int] = defaultdict(int)
    for t in truths:
        by_key[(t.container_id, t.kind)].append(t)
        truth_count[t.kind] += 1
    early, late = timedelta(seconds=EARLY_S), timedelta(seconds=tolerance_s)
    tp: dict[AlertKind, int] = defaultdict(int)
    fp: dict[AlertKind, int] = defaultdict(int)
    hit: set[int] = set()
    for a in alerts:
        matched = [
            t for t in by_key.get((a.container_id, a.kind), ()) if t.start - early <= a.ts <= t.end + late
        ]
        if matched:
            tp[a.kind] += 1
            hit.update(id(t) for t in matched)
        else:
            fp[a.kind] += 1
    report: dict[str, dict[str, float]] = {}
    for kind in AlertKind:
        found = sum(1 for ts in by_key.values() for t in ts if t.kind is kind and id(t) in hit)
        n_alerts = tp[kind] + fp[kind]
        report[kind.value] = {
            "tp": float(tp[kind]),
            "fp": float(fp[kind]),
            "fn": float(truth_count[kind] - found),
            "precision": tp[kind] / n_alerts if n_alerts else 1.0,
            "recall": found / truth_count[kind] if truth_count[kind] else 1.0,
        }
    return report
