"""A real ``cargotrail ingest-server`` killed with SIGKILL after acknowledging HTTP batches loses nothing.

The server (embedded runtime over SQLite, local ledger) is killed twice while its reorder buffer and
its open anchor batch hold acknowledged input, restarted each time, then stopped cleanly. Its store
must equal the one an uninterrupted gateway left for the same batches: every acknowledged reading
stored exactly once, the same geofence events and alerts, the same anchored batches (they close by
count here, so their roots compare), and every stored record anchored exactly once.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import msgspec
import pytest
from fastapi.testclient import TestClient

from cargotrail.settings import Settings
from cargotrail.wiring import open_store
from geofence.zones import Zone, zones_from_geojson
from services.ingest.gateway import IngestGateway
from services.ingest.http import create_app
from services.simulator import SimConfig, Simulator
from streams.runtimes.inbox import INBOX, Snap, decode_step
from tests.streams.runtime_outputs import Outputs, anchored_once, outputs, unanchored

START_S = 60.0  # bounds on waiting for the server, never assertions on time
# Small anchor batches and inbox compactions, so that the crashes fall after both.
ENV = {
    "CARGOTRAIL_ANCHOR_BATCH_RECORDS": "97",
    "CARGOTRAIL_ANCHOR_BATCH_SECONDS": "1e12",
    "CARGOTRAIL_INBOX_COMPACT_READINGS": "300",
}


@pytest.fixture(scope="module")
def sim() -> tuple[list[bytes], int, list[Zone]]:
    """HTTP bodies (one simulated micro-batch each), how many readings in all, the zones."""
    config = SimConfig(
        containers=30, seed=5, horizon_s=4 * 3600, report_interval_s=300, out_of_order_share=0.1
    )
    simulator = Simulator(config)
    batches = [b.readings for b in simulator.batches(4 * 3600)]
    bodies = [msgspec.json.encode(readings) for readings in batches]
    return bodies, sum(len(b) for b in batches), zones_from_geojson(simulator.zones_geojson())


def settings_in(data_dir: Path, zones: list[Zone]) -> Settings:
    settings = dataclasses.replace(Settings.from_env(ENV), data_dir=data_dir)
    store = open_store(settings)
    try:
        store.save_zones(zones, "test")  # the server starts on the zones an admin saved
    finally:
        store.close()
    return settings


class Server:
    """``cargotrail ingest-server`` as a child process on a free port."""

    def __init__(self, data_dir: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = {**os.environ, **ENV, "CARGOTRAIL_DATA_DIR": str(data_dir)}
        exe = Path(sys.executable).parent / "cargotrail"
        self.proc = subprocess.Popen(
            [str(exe), "ingest-server", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + START_S
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"ingest-server exited at start: {self.proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail("ingest-server did not answer /healthz")
            time.sleep(0.2)

    def post(self, body: bytes) -> int:
        """Send one batch; how many readings the server acknowledged (answered 200)."""
        answer = httpx.post(f"{self.url}/v1/readings", content=body, timeout=30.0)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["accepted"])

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=START_S)

    def stop(self) -> int:
        """Shut down cleanly (uvicorn's graceful shutdown closes the gateway); the exit status."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=START_S)
        assert b"Finished server process" in self.proc.stderr.read(), "no graceful shutdown"  # type: ignore[union-attr]
        return code


def test_acknowledged_readings_survive_sigkill_and_the_outputs_equal_an_uninterrupted_run(sim, tmp_path):
    bodies, n, zones = sim
    reference = settings_in(tmp_path / "uninterrupted", zones)
    with TestClient(create_app(IngestGateway(reference))) as c:
        for body in bodies:
            assert c.post("/v1/readings", content=body).status_code == 200
    expected = stored_outputs(reference)

    crashed = settings_in(tmp_path / "crashed", zones)
    acknowledged = 0
    server = Server(crashed.data_dir)
    for body in bodies[:5]:
        acknowledged += server.post(body)
    server.kill()  # the reorder buffer and the open anchor batch held acknowledged input
    assert inbox_starts_with_a_snapshot(crashed)  # the first restart restores a compaction
    server = Server(crashed.data_dir)
    for body in bodies[5:11]:
        acknowledged += server.post(body)
    server.kill()
    server = Server(crashed.data_dir)
    for body in bodies[11:]:
        acknowledged += server.post(body)
    assert server.stop() in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once shut down

    got = stored_outputs(crashed)
    assert acknowledged == n == got.counts["readings"]  # every acknowledged reading, stored once
    assert got == expected
    assert anchored_once(got)
    store = open_store(crashed)
    try:
        assert unanchored(store, [], got) == []  # every event and alert has its proof
    finally:
        store.close()


def inbox_starts_with_a_snapshot(settings: Settings) -> bool:
    store = open_store(settings)
    try:
        entries = store.inbox(INBOX, limit=1)
    finally:
        store.close()
    return bool(entries) and isinstance(decode_step(entries[0]), Snap)


def stored_outputs(settings: Settings) -> Outputs:
    store = open_store(settings)
    try:
        return outputs(store)
    finally:
        store.close()
