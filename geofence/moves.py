"""The moves of a batch, and the zones of every in-order fix, querying geometry only where needed.

A fix whose move from its predecessor touches no zone boundary (``ZoneIndex.clear_moves``)
is in exactly its predecessor's zones: those are copied rather than queried, when they are
known (the predecessor is in the batch, or it is the state's last fix and the container's
zone set row is trustworthy). Only the other fixes go through the point query. The result
is the one the point query would give for every fix, pair for pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from geofence.columns import ZoneColumns
from geofence.index import ZoneIndex

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

NEW, FROM_STATE = -2, -1  # predecessor codes: first fix ever / the last fix kept in state


@dataclass(frozen=True)
class Moves:
    """Per in-order fix (positions in ``ko``): the segment from its predecessor, if it has one.

    ``seg`` lists the positions with a predecessor; ``lon0 .. lat1`` are their segments'
    ends (parallel to ``seg``). ``still[k]`` says the move into position ``k`` touches no
    boundary and its predecessor's zones are known, so fix ``k`` keeps them and crosses nothing.
    """

    seg: IntArray
    lon0: FloatArray
    lat0: FloatArray
    lon1: FloatArray
    lat1: FloatArray
    still: BoolArray


def find_moves(
    index: ZoneIndex,
    cols: ZoneColumns,
    ko: IntArray,
    kc: IntArray,
    pk: IntArray,
    lons: FloatArray,
    lats: FloatArray,
) -> Moves:
    seg = np.flatnonzero(pk != NEW)
    p, c = pk[seg], kc[seg]
    in_batch = p >= 0
    safe = np.where(in_batch, p, 0)
    lon0 = np.where(in_batch, lons[safe], cols.last_lon[c])
    lat0 = np.where(in_batch, lats[safe], cols.last_lat[c])
    lon1, lat1 = lons[ko[seg]], lats[ko[seg]]
    known = np.flatnonzero(in_batch | ~cols.odd[c])  # an odd container's zone set row is not to be trusted
    still = np.zeros(len(ko), dtype=bool)
    still[seg[known]] = index.clear_moves(lon0[known], lat0[known], lon1[known], lat1[known])
    return Moves(seg, lon0, lat0, lon1, lat1, still)


def zones_of_fixes(
    index: ZoneIndex,
    cols: ZoneColumns,
    ko: IntArray,
    kc: IntArray,
    kfirst: BoolArray,
    still: BoolArray,
    lons: FloatArray,
    lats: FloatArray,
) -> tuple[IntArray, IntArray]:
    """(fix, zone) of every zone holding every in-order fix ``ko``, sorted by fix then zone."""
    queried = np.sort(ko[~still])
    pts, zones = index.containing(lons[queried], lats[queried])
    q_fix = queried[pts]
    if not still.any():
        return q_fix, zones
    # Each still fix copies from the last queried fix before it in its container, else from state.
    m = len(ko)
    pos = np.arange(m)
    last_queried = np.maximum.accumulate(np.where(still, -1, pos))
    group_start = np.maximum.accumulate(np.where(kfirst, pos, 0))
    from_batch = still & (last_queried >= group_start)
    from_state = still & ~from_batch

    k = np.flatnonzero(from_batch)
    src = ko[last_queried[k]]
    offs = np.searchsorted(q_fix, np.arange(len(lons) + 1))
    owners, ranks = _expand(offs[src + 1] - offs[src])
    b_fix, b_zone = ko[k][owners], zones[offs[src][owners] + ranks]

    k = np.flatnonzero(from_state)
    held = cols.zset[kc[k]]
    inside = held >= 0
    s_fix, s_zone = np.repeat(ko[k], inside.sum(axis=1)), held[inside].astype(np.intp)

    fix = np.concatenate((q_fix, b_fix, s_fix))
    zone = np.concatenate((zones, b_zone, s_zone))
    order = np.argsort(fix, kind="stable")  # each fix's zones come from one source, ascending
    return fix[order], zone[order]


def _expand(counts: IntArray) -> tuple[IntArray, IntArray]:
    """For ``counts`` = [2, 0, 3]: owners [0, 0, 2, 2, 2] and ranks [0, 1, 0, 1, 2]."""
    owners = np.repeat(np.arange(len(counts), dtype=np.intp), counts)
    starts = np.cumsum(counts) - counts
    ranks = np.arange(len(owners), dtype=np.intp) - starts[owners]
    return owners, ranks
