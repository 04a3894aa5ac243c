"""A deterministic sample of stored records, verified: the run report's audit spot check.

Contract: ``sample_verification(store, ledger, n, seed)`` picks up to ``n``
records — the same ones for the same store contents and seed — spread over
up to ``n`` containers (chosen among those with a known position), and
returns one dict per record: ``record_id``, ``kind``, ``ok``, ``problem``.
"""

from __future__ import annotations

import random
from typing import Any

from cargotrail.audit.chain import CachedLedger, ChainReader
from cargotrail.audit.check import verify_stored
from store.base import Repository, StoredRecord


def sample_verification(
    store: Repository, ledger: ChainReader, n: int = 10, seed: int = 0
) -> list[dict[str, Any]]:
    """Verify ``n`` deterministically chosen records (see the module contract)."""
    rng = random.Random(seed)
    containers = sorted({p.container_id for p in store.latest_positions()})
    picked = rng.sample(containers, min(n, len(containers)))
    pools = [store.records_for(c, float("-inf"), float("inf")) for c in picked]
    chosen: list[StoredRecord] = []
    # Round-robin over the containers, so a sample of n covers n containers when it can.
    while len(chosen) < n and any(pools):
        for pool in pools:
            if pool and len(chosen) < n:
                chosen.append(pool.pop(rng.randrange(len(pool))))
    cached = CachedLedger(ledger)
    out: list[dict[str, Any]] = []
    for record in chosen:
        check = verify_stored(store, cached, record)
        out.append(
            {"record_id": check.record_id, "kind": check.kind, "ok": check.ok, "problem": check.problem}
        )
    return out
