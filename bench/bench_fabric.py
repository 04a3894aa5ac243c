"""Anchoring through the real Fabric network: Merkle batching vs one transaction per record.

    make fabric-up && .venv/bin/python bench/bench_fabric.py [--batches 20 --batch-records 10000 --singles 40]

A script, not a test. Both modes run on the same network in the same run:
1. records anchored per second with Merkle batching (one transaction per batch of N records: the
   leaves are hashed and the tree built here, the root anchored) vs one transaction per record;
   target ratio >= 100x;
2. anchor latency from batch close (root computed) to commit (valid in a block), p50 / p99;
   target p99 <= 5 s;
3. resident memory of every process of the local network (orderers, peers, chaincode).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cargotrail.settings import Settings
from ledger.core.batch import GENESIS_ROOT, BatchHeader, batch_id
from ledger.core.merkle import tree_root

NET = Path.home() / ".cache/cargotrail/fabric-net"


def fabric_settings() -> Settings:
    """The settings `make fabric-up` wrote (CARGOTRAIL_TEST_FABRIC_ENV, or the default network's)."""
    path = Path(os.environ.get("CARGOTRAIL_TEST_FABRIC_ENV", NET / "env"))
    if not path.exists():
        raise SystemExit(f"no Fabric network settings at {path}: run `make fabric-up` first")
    env = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return Settings.from_env({**env, "CARGOTRAIL_LEDGER": "fabric"})


def anchor_stream(fabric, stream: str, batches: int, records: int) -> tuple[float, list[float]]:
    """Anchor ``batches`` batches of ``records`` leaves each; (seconds, per-batch latencies)."""
    prev, latencies, t0 = GENESIS_ROOT, [], time.perf_counter()
    start = datetime(2026, 3, 2, tzinfo=UTC)
    for seq in range(batches):
        leaves = [
            hashlib.sha256(b"\x00%s/%d/%d" % (stream.encode(), seq, i)).digest() for i in range(records)
        ]
        root = tree_root(leaves).hex()
        closed = time.perf_counter()  # the batch is closed once its root is known
        h = BatchHeader(
            batch_id=batch_id(stream, seq),
            stream=stream,
            seq=seq,
            root=root,
            size=records,
            prev_root=prev,
            first_ts=start + timedelta(seconds=seq),
            last_ts=start + timedelta(seconds=seq + 1),
        )
        fabric.anchor(h)
        latencies.append(time.perf_counter() - closed)
        prev = root
    return time.perf_counter() - t0, latencies


def pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]
    )


def network_rss_mb() -> dict[str, float]:
    out = {}
    for pid_file in sorted((NET / "run").glob("*.pid")):
        try:
            status = Path(f"/proc/{pid_file.read_text().strip()}/status").read_text()
        except OSError:
            continue
        kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        out[pid_file.stem] = kb / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--batch-records", type=int, default=10_000)
    ap.add_argument("--singles", type=int, default=40)
    args = ap.parse_args()
    from ledger.fabric.config import open_fabric_ledger

    fabric = open_fabric_ledger(fabric_settings())
    tag = uuid.uuid4().hex[:8]
    single_s, _ = anchor_stream(fabric, f"bench-single-{tag}", args.singles, 1)
    batch_s, batch_lat = anchor_stream(fabric, f"bench-batch-{tag}", args.batches, args.batch_records)
    single_rate = args.singles / single_s
    batch_rate = args.batches * args.batch_records / batch_s
    print(f"one tx per record : {single_rate:12,.0f} records/s  ({args.singles} txs in {single_s:.1f} s)")
    shape = f"{args.batches} x {args.batch_records:,} in {batch_s:.1f} s"
    print(f"Merkle batching   : {batch_rate:12,.0f} records/s  ({shape})")
    print(f"ratio             : {batch_rate / single_rate:12,.0f} x   (target >= 100 x)")
    print(
        f"anchor latency    : p50 {pct(batch_lat, 50):.3f} s, p99 {pct(batch_lat, 99):.3f} s "
        f"(batch close -> commit; target p99 <= 5 s)"
    )
    rss = network_rss_mb()
    print(
        f"network memory    : {sum(rss.values()):.0f} MB RSS: "
        + ", ".join(f"{k} {v:.0f}" for k, v in rss.items())
    )


if __name__ == "__main__":
    main()
