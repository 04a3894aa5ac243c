"""Pass 1 of the zone tracker, vectorised over a micro-batch (see ``geofence.transitions``).

It finds, with numpy only, the late fixes, each in-order fix's predecessor, the
zones of every in-order fix, the zones each segment between consecutive fixes
passes through, and which containers need the per-fix path at all: a container
is *quiet* when none of its fixes changes its zone set, passes through a zone or
finds a dwell deadline due. A quiet container emits nothing and only its last
fix moves into state, which ``ZoneTracker`` does for all of them at once. A fix
whose move touches no zone boundary keeps its predecessor's zones and crosses
nothing (``geofence.moves``): only the other fixes and segments are queried.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from geofence.columns import ZONE_SET_WIDTH, ZoneColumns
from geofence.index import ZoneIndex
from geofence.moves import FROM_STATE, NEW, Moves, find_moves, zones_of_fixes

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class BatchPlan:
    """What pass 1 found; fix indices are positions in the batch.

    ``prev[i]`` is the predecessor of in-order fix ``i`` (a fix index, ``FROM_STATE``
    or ``NEW``). Zones of fix ``i`` are ``hit_zone[offs[i]:offs[i + 1]]`` (ascending,
    none for late fixes). ``last`` is each container's last in-order fix (one per
    container with any), ``slow`` says which of them take the per-fix path, and
    ``slow_fixes`` lists, ascending, every in-order fix of those containers.
    ``crossings`` maps a fix to the zones (ascending) its incoming segment passes through.
    ``rows[i]`` holds the first ``ZONE_SET_WIDTH`` zones of fix ``i``, padded with -1.
    """

    late: BoolArray
    prev: IntArray
    rows: npt.NDArray[np.int32]
    hit_fix: IntArray
    hit_zone: IntArray
    offs: IntArray
    last: IntArray
    slow: BoolArray
    slow_fixes: IntArray
    crossings: dict[int, list[int]]


def _late_in_order(
    codes: IntArray, ts: FloatArray, held: FloatArray
) -> tuple[IntArray, BoolArray, BoolArray]:
    """Batch order sorted by container (stable), and per sorted position: late, first of its container.

    ``held`` is each code's last processed ts. A fix is late when at or before the
    largest ts its container has reached.
    """
    order = np.argsort(codes, kind="stable")
    oc, ot = codes[order], ts[order]
    first = np.ones(len(oc), dtype=bool)
    first[1:] = oc[1:] != oc[:-1]
    prev_t = np.empty(len(ot))
    prev_t[1:] = ot[:-1]
    prev_t[first] = held[oc[first]]
    late = ot <= prev_t
    # After a late fix the following ones compare with the running maximum, not just
    # against their neighbour: replay those (rare) containers one fix at a time.
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], len(oc))
    gid = np.cumsum(first) - 1
    for g in np.unique(gid[late]).tolist():
        top = float(held[oc[starts[g]]])
        for k in range(int(starts[g]), int(ends[g])):
            t = float(ot[k])
            late[k] = t <= top
            top = max(top, t)
    return order, late, first


def plan_batch(
    index: ZoneIndex, cols: ZoneColumns, codes: IntArray, ts: FloatArray, lons: FloatArray, lats: FloatArray
) -> BatchPlan:
    """Pass 1 over one batch; reads ``cols`` and changes nothing."""
    n = len(codes)
    order, late_o, _ = _late_in_order(codes, ts, cols.last_ts)
    ko = order[~late_o]  # in-order fixes, grouped by container, in time order within each
    kc = codes[ko]
    kfirst = np.ones(len(ko), dtype=bool)
    kfirst[1:] = kc[1:] != kc[:-1]
    pk = np.empty(len(ko), dtype=np.intp)
    pk[1:] = ko[:-1]
    pk[kfirst] = np.where(cols.last_ts[kc[kfirst]] > -np.inf, FROM_STATE, NEW)
    late = np.ones(n, dtype=bool)
    late[ko] = False
    prev = np.full(n, NEW, dtype=np.intp)
    prev[ko] = pk

    moves = find_moves(index, cols, ko, kc, pk, lons, lats)
    hit_fix, hit_zone = zones_of_fixes(index, cols, ko, kc, kfirst, moves.still, lons, lats)
    offs = np.searchsorted(hit_fix, np.arange(n + 1)).astype(np.intp)
    counts = np.diff(offs)
    # Zone sets as padded rows, compared whole against the predecessor's (exact, no hashing).
    width = ZONE_SET_WIDTH
    rows = np.full((n, width), -1, dtype=np.int32)
    rank = np.arange(len(hit_fix)) - offs[hit_fix]
    fits = rank < width
    rows[hit_fix[fits], rank[fits]] = hit_zone[fits]
    over = counts > width
    in_batch = pk >= 0
    from_state = pk == FROM_STATE
    before = np.full((len(ko), width), -1, dtype=np.int32)
    before[in_batch] = rows[pk[in_batch]]
    before[from_state] = cols.zset[kc[from_state]]
    changed = (rows[ko] != before).any(axis=1) | over[ko]
    changed[in_batch] |= over[pk[in_batch]]

    before[cols.odd[kc] & from_state] = -1  # an odd container's row is not to be trusted
    # Rows holding every zone of their fix: a zone missing from them surely holds that fix not.
    before_full = np.zeros(len(ko), dtype=bool)
    before_full[in_batch] = ~over[pk[in_batch]]
    before_full[from_state] = ~cols.odd[kc[from_state]]
    crossings, crossed = _crossings(index, ko, moves, rows[ko], before, ~over[ko] & before_full)
    group = np.cumsum(kfirst) - 1
    gstart = np.flatnonzero(kfirst)
    last = ko[np.append(gstart[1:], len(ko)) - 1] if gstart.size else ko
    gcodes = kc[gstart]
    slow = cols.odd[gcodes] | (cols.next_due[gcodes] < ts[last])
    slow[group[changed | crossed]] = True
    slow_fixes = np.sort(ko[slow[group]])
    return BatchPlan(late, prev, rows, hit_fix, hit_zone, offs, last, slow, slow_fixes, crossings)


def _member(sorted_keys: IntArray, keys: IntArray) -> BoolArray:
    """Element-wise: is ``keys[k]`` in ``sorted_keys``?"""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    found: BoolArray = sorted_keys[pos] == keys
    return found


def _row_keys(rows: npt.NDArray[np.int32], nz: int) -> IntArray:
    """Sorted keys ``r * nz + zone`` of every zone in every (ascending, -1 padded) row ``r``."""
    keys = np.arange(len(rows), dtype=np.intp)[:, None] * nz + rows
    out: IntArray = keys[rows >= 0]
    return out


def _crossings(
    index: ZoneIndex,
    ko: IntArray,
    moves: Moves,
    cur: npt.NDArray[np.int32],
    before: npt.NDArray[np.int32],
    full: BoolArray,
) -> tuple[dict[int, list[int]], BoolArray]:
    """Zones each segment from the predecessor passes through (ascending), and a flag per in-order fix.

    ``cur`` and ``before`` are, per in-order fix, rows of zones known to hold its two
    ends (a subset of them is enough: they only spare exact tests); ``full`` says both rows
    hold every zone of their end, so that a zone in neither holds neither end. Still moves
    cross nothing.
    """
    crossed = np.zeros(len(ko), dtype=bool)
    moving = np.flatnonzero(~moves.still[moves.seg])
    seg = moves.seg[moving]
    if not seg.size:
        return {}, crossed
    lon0, lat0, lon1, lat1 = (a[moving] for a in (moves.lon0, moves.lat0, moves.lon1, moves.lat1))
    segs, zs = index.segment_candidates(lon0, lat0, lon1, lat1)
    # Zones known to hold an end cannot be passed through: drop them before any geometry
    # is built. The known sets come from the very point predicate the exact test uses, so
    # this changes no answer.
    nz = max(len(index), 1)
    keys = segs * nz + zs
    drop = _member(_row_keys(cur[seg], nz), keys) | _member(_row_keys(before[seg], nz), keys)
    segs, zs = segs[~drop], zs[~drop]
    hit = index.passes_through(zs, lon0[segs], lat0[segs], lon1[segs], lat1[segs], full[seg[segs]])
    out: dict[int, list[int]] = {}
    for i, z in zip(ko[seg[segs[hit]]].tolist(), zs[hit].tolist(), strict=True):
        out.setdefault(i, []).append(z)
    crossed[seg[segs[hit]]] = True
    return out, crossed
