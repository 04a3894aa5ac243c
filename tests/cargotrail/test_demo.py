"""`cargotrail demo` as a user runs it: a real Streamlit server on localhost, fed live."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from store.sqlite import SqliteStore


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate, what: str, limit_s: float = 120.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def test_demo_serves_the_control_tower_on_live_simulated_cargo(tmp_path: Path):
    port = free_port()
    env = {**os.environ, "CARGOTRAIL_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cargotrail.cli.main",
            "demo",
            "--containers",
            "40",
            "--warmup",
            "2h",
            "--speed",
            "600",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: healthy(port), "the dashboard's health endpoint")
        store_path = tmp_path / "cargotrail.sqlite"
        wait_for(lambda: store_path.exists() and SqliteStore(store_path).counts()["readings"] > 0, "readings")
        first = SqliteStore(store_path).counts()["readings"]
        wait_for(
            lambda: SqliteStore(store_path).counts()["readings"] > first, "live readings after the warm-up"
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert b"<html" in page.read().lower()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert f"http://localhost:{port}" in out
