"""Merkle and canonicalisation throughput, with same-run baselines. A script, not a test.

    .venv/bin/python bench/bench_merkle.py [--leaves 1000000]

Prints, for the native accelerator (``ledger.core._merkle``, when built) and
the pure-Python reference side by side:
1. leaves hashed and placed in a tree per second (leaf hashes + every level),
   against the bare hashlib cost of the same hashes in the same run (the
   ceiling for any CPython implementation built on hashlib);
2. all proofs of a batch from stored levels, per second;
3. depth-20 proofs verified per second, one call per proof, vs 21 bare
   ``sha256().digest()`` calls (target ratio >= 0.8);
4. canonical bytes per second for Readings: our RFC 8785 fast path, the
   ``rfc8785`` package (the definition) and plain ``msgspec.json.encode``
   (not canonical; the speed of light for this step).
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from cargotrail.contract.records import Reading
from ledger.core.canonical import canonical_bytes, canonical_bytes_reference
from ledger.core.hashing import NATIVE, leaf_hashes, leaf_hashes_py
from ledger.core.merkle import (
    all_paths,
    all_paths_py,
    tree_levels,
    tree_levels_py,
    verify_inclusion,
    verify_inclusion_py,
    verify_inclusions,
)


def best(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs (noise only ever adds time)."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def readings(n: int) -> list[Reading]:
    t0 = datetime(2024, 5, 1, tzinfo=UTC)
    return [
        Reading(
            device_id=f"trk-{i % 500}",
            container_id="MSCU1234565",
            seq=i,
            ts=t0 + timedelta(seconds=i),
            lat=51.9 + (i % 1000) * 1e-4,
            lon=4.1 - (i % 997) * 1e-4,
            speed_kmh=float(i % 40),
            heading=(i * 7) % 360 + 0.5,
            temperature_c=4.25,
            battery_pct=88.0,
            door_open=False,
        )
        for i in range(n)
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--leaves", type=int, default=1_000_000)
    n = ap.parse_args().leaves
    sha = hashlib.sha256

    sample = readings(1000)
    payloads = [canonical_bytes(r) for r in sample] * (n // 1000)
    size = sum(map(len, payloads)) / len(payloads)
    print(f"{len(payloads):,} leaves of ~{size:.0f} bytes (canonical Readings)")

    print(f"native accelerator {'on (ledger.core._merkle)' if NATIVE else 'NOT built: pure Python only'}")
    impls = ["native", "python"] if NATIVE else ["python"]
    builds = {
        "native": lambda: tree_levels(leaf_hashes(payloads)),
        "python": lambda: tree_levels_py(leaf_hashes_py(payloads)),
    }
    t_tree: dict[str, float] = {}
    levels: list[list[bytes]] = []
    for impl in impls:
        t_tree[impl], levels = best(builds[impl])
    internal = sum(len(lv) for lv in levels[1:])
    pairs = [b"\x01" + b"\x00" * 64] * internal

    def bare() -> None:
        [sha(b"\x00" + d).digest() for d in payloads]
        [sha(p).digest() for p in pairs]

    t_bare, _ = best(bare)
    for impl in impls:
        rate = len(payloads) / t_tree[impl]
        print(
            f"tree build      {rate:12,.0f} leaves/s  {impl:6}  "
            f"(target >= 1,000,000/s: {'met' if rate >= 1e6 else 'NOT met'})"
        )
    print(
        f"bare hashlib    {len(payloads) / t_bare:12,.0f} leaves/s  "
        f"(same {len(payloads) + internal:,} hashes)"
    )
    for impl in impls:
        print(f"ratio           {t_bare / t_tree[impl]:12.2f}  {impl:6}  (implementation / hashlib ceiling)")

    path_fns = {"native": all_paths, "python": all_paths_py}
    for impl in impls:
        t_paths, _ = best(lambda: path_fns[impl](levels), repeat=1)  # noqa: B023 (called at once)
        rate = len(payloads) / t_paths
        print(f"all proofs      {rate:12,.0f} proofs/s  {impl:6}  (one pass over stored levels)")

    m = 1 << 20
    deep = tree_levels(leaf_hashes(payloads[: min(n, m)])) if n >= m else levels
    leaf_count = len(deep[0])
    depth = len(deep) - 1
    root = deep[-1][0]
    probe = list(range(0, leaf_count, max(1, leaf_count // 20000)))[:20000]
    dpaths = all_paths(deep)
    cases = [(deep[0][i], i, dpaths[i]) for i in probe]
    verifiers = {"native": verify_inclusion, "python": verify_inclusion_py}

    def verify(impl: str) -> bool:
        fn = verifiers[impl]
        return all(fn(leaf, i, leaf_count, p, root) for leaf, i, p in cases)

    msg65 = b"\x01" + b"\x00" * 64

    def bare_verify() -> None:
        for leaf, _, p in cases:
            sha(b"\x00" + leaf).digest()  # stands for the leaf hash an auditor recomputes
            for _step in p:
                sha(msg65).digest()

    def bare_verify_concat() -> None:
        # Same hashes, each over a message built from two 32-byte nodes as any
        # verifier must: the concatenation alone costs ~14% on CPython 3.11.
        for leaf, _, p in cases:
            r = sha(b"\x00" + leaf).digest()
            for step in p:
                sha(b"\x01" + step + r).digest()

    t_v = {}
    for impl in impls:
        t_v[impl], ok = best(lambda: verify(impl), repeat=7)  # noqa: B023 (called at once)
        assert ok
    t_bv, _ = best(bare_verify, repeat=7)
    t_bc, _ = best(bare_verify_concat, repeat=7)
    for impl in impls:
        print(
            f"verify depth {depth}  {len(cases) / t_v[impl]:12,.0f} proofs/s  {impl:6}  "
            f"vs bare {depth + 1} hashes {len(cases) / t_bv:,.0f}/s  "
            f"ratio {t_bv / t_v[impl]:.2f} (target >= 0.8)"
        )
        print(
            f"{'':38}vs bare hashes incl. building 0x01||l||r {len(cases) / t_bc:,.0f}/s  "
            f"ratio {t_bc / t_v[impl]:.2f}"
        )
    if NATIVE:
        leaves, indices, paths = zip(*[(leaf, i, p) for leaf, i, p in cases], strict=True)
        t_vb, oks = best(lambda: verify_inclusions(leaves, indices, leaf_count, paths, root), repeat=7)
        assert all(oks)
        print(
            f"verify batch    {len(cases) / t_vb:12,.0f} proofs/s  native  (verify_inclusions, one call; "
            f"ratio {t_bv / t_vb:.2f})"
        )

    recs = readings(50_000)
    enc = msgspec.json.encode
    t_fast, _ = best(lambda: [canonical_bytes(r) for r in recs])
    t_ref, _ = best(lambda: [canonical_bytes_reference(r) for r in recs], repeat=1)
    t_msg, _ = best(lambda: [enc(r) for r in recs])
    print(f"canonical fast  {len(recs) / t_fast:12,.0f} Readings/s  (RFC 8785, msgspec fast path)")
    print(
        f"rfc8785 package {len(recs) / t_ref:12,.0f} Readings/s  "
        f"(RFC 8785 reference; fast path x{t_ref / t_fast:.1f})"
    )
    print(
        f"msgspec encode  {len(recs) / t_msg:12,.0f} Readings/s  "
        f"(NOT canonical; fast path at {t_msg / t_fast:.2f})"
    )


if __name__ == "__main__":
    main()
