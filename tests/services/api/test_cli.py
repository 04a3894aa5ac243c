"""``cargotrail api``: serves the data directory over HTTP; refuses a directory without a run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def api_process(env: dict[str, str], *args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``cargotrail api`` in a subprocess; yields its base URL once /health answers."""
    cmd = [sys.executable, "-m", "cargotrail.cli.main", "api", *args]
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    port = env.get("CARGOTRAIL_API_PORT") or args[args.index("--port") + 1]
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):  # until it listens (or gives up)
            try:
                if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                if proc.poll() is not None:
                    pytest.fail(proc.stderr.read().decode() if proc.stderr else "api exited")
                time.sleep(0.05)
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_api_serves_the_run_over_http(served):
    env = {"CARGOTRAIL_DATA_DIR": str(served.settings.data_dir)}
    with api_process(env, "--port", str(free_port())) as (base, _):
        r = httpx.get(f"{base}/v1/containers", headers=served.auth(Role.AUDITOR), timeout=10.0)
        assert r.status_code == 200 and len(r.json()) == len(served.store.latest_positions())
        assert httpx.get(f"{base}/v1/containers", timeout=10.0).status_code == 401


def test_api_accepts_a_bootstrap_token_from_the_environment(served):
    secret = "bootstrap-" + "s" * 30
    env = {
        "CARGOTRAIL_DATA_DIR": str(served.settings.data_dir),
        "CARGOTRAIL_API_PORT": str(free_port()),
        "CARGOTRAIL_API_BOOTSTRAP_TOKEN": secret,
        "CARGOTRAIL_API_BOOTSTRAP_ROLE": "auditor",
    }
    with api_process(env) as (base, _):
        auth = {"Authorization": f"Bearer {secret}"}
        assert httpx.get(f"{base}/v1/containers", headers=auth, timeout=10.0).status_code == 200
        assert httpx.post(f"{base}/v1/alerts/x/acknowledge", headers=auth, timeout=10.0).status_code == 403


def test_api_refuses_a_weak_bootstrap_token(served, monkeypatch):
    monkeypatch.setenv("CARGOTRAIL_DATA_DIR", str(served.settings.data_dir))
    monkeypatch.setenv("CARGOTRAIL_API_BOOTSTRAP_TOKEN", "letmein")
    result = CliRunner().invoke(cli, ["api", "--port", "1"])
    assert result.exit_code == 2 and "at least 32 characters" in result.output


def test_stopping_the_api_ends_its_live_streams_cleanly(served):
    env = {"CARGOTRAIL_DATA_DIR": str(served.settings.data_dir), "CARGOTRAIL_API_PORT": str(free_port())}
    with (
        api_process(env) as (base, proc),
        httpx.Client(timeout=httpx.Timeout(30.0)) as client,
        client.stream("GET", f"{base}/v1/live", headers=served.auth(Role.OPERATOR)) as r,
    ):
        lines = r.iter_lines()
        assert next(lines).startswith("retry:")
        proc.send_signal(signal.SIGTERM)
        rest = list(lines)  # the server ends the stream; it is not cut off mid-response
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
    assert all(line == "" or line.startswith(("id:", "event:", "data:", ":")) for line in rest)
