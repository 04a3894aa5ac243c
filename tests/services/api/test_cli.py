"""``cargotrail api``: serves the data directory over HTTP; refuses a directory without a run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from typer.testing import CliRunner

from cargotrail.cli.main import app as cli
from services.api import Role


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_api_refuses_a_data_dir_without_a_run(tmp_path, monkeypatch):
    monkeypatch.setenv("CARGOTRAIL_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["api", "--port", "1"])
    assert result.exit_code == 2
    assert "no store at" in result.output


def test_api_serves_the_run_over_http(served):
    port = free_port()
    env = {**os.environ, "CARGOTRAIL_DATA_DIR": str(served.settings.data_dir)}
    cmd = [sys.executable, "-m", "cargotrail.cli.main", "api", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):  # until it listens (or gives up)
            try:
                if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                if proc.poll() is not None:
                    pytest.fail(proc.stderr.read().decode() if proc.stderr else "api exited")
                time.sleep(0.05)
        r = httpx.get(f"{base}/v1/containers", headers=served.auth(Role.AUDITOR), timeout=10.0)
        assert r.status_code == 200 and len(r.json()) == len(served.store.latest_positions())
        assert httpx.get(f"{base}/v1/containers", timeout=10.0).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=30)
