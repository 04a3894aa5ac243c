"""Fault tolerance on the real network: a peer or the Raft leader stops mid-run (integration).

Anchoring must report "retry later" (``LedgerUnavailable``) while a node is down, then catch up
after it restarts, with every batch anchored exactly once: no gap, no duplicate.
"""

from __future__ import annotations

import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from cargotrail.errors import LedgerUnavailable
from ledger.core.batch import chain_check
from tests.ledger.fabric.helpers import headers

pytestmark = [pytest.mark.integration, pytest.mark.fabric]

NODES = Path(__file__).resolve().parents[3] / "deploy" / "fabric" / "nodes.sh"
ATTEMPTS = 90  # bounded retries, 1 s apart: the loop always ends


def node(action: str, name: str) -> None:
    subprocess.run(["bash", str(NODES), action, name], check=True, capture_output=True, timeout=120)


def anchor_with_retry(fabric, header, outages: list[str], heal) -> None:
    """What the anchorer does: retry LedgerUnavailable with a pause, stop on anything else.

    ``heal`` restarts the stopped node once a few retries have failed, as an operator would.
    """
    for _ in range(ATTEMPTS):
        try:
            fabric.anchor(header)
            return
        except LedgerUnavailable as exc:
            outages.append(f"{getattr(exc, 'stage', '?')}: {exc}")
            if len(outages) == 3:
                heal()
            time.sleep(1)
    pytest.fail(f"batch {header.batch_id} not anchored after {ATTEMPTS} attempts: {outages[-1:]}")


def leader() -> str:
    """The orderer that leads channel cargotrail's Raft, from the orderers' Prometheus metrics."""
    for n in range(1, 4):
        url = f"http://127.0.0.1:{27052 + 10 * n}/metrics"  # deploy/fabric/common.sh orderer_ops_port
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                metrics = response.read().decode()
        except OSError:
            continue  # no such orderer in this network
        if re.search(r'consensus_etcdraft_is_leader\{channel="cargotrail"\} 1', metrics):
            return f"orderer{n}"
    pytest.fail("no orderer reports itself Raft leader of channel cargotrail")


@pytest.mark.parametrize("victim", ["peer2", "leader"])
def test_anchoring_rides_out_a_stopped_node_exactly_once(fabric, stream, victim):
    name = leader() if victim == "leader" else victim
    hs = headers(stream, 6)
    outages: list[str] = []
    try:
        for i, h in enumerate(hs):
            if i == 2:
                node("stop", name)
            anchor_with_retry(fabric, h, outages, heal=lambda: node("start", name))
    finally:
        node("start", name)
    assert outages, f"stopping {name} was never noticed"
    listed = fabric.list(stream)
    assert chain_check(listed, stream=stream, end_seq=len(hs) - 1) == []
    assert [h.batch_id for h in listed] == [h.batch_id for h in hs]  # exactly once, in order
