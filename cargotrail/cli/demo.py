"""``cargotrail demo``: live simulated cargo and the control tower, with nothing installed but the package.

A background thread runs the simulator through the embedded pipeline: first
``warmup`` of history as fast as possible (so the map and the alert queue are
not empty), then live at ``speed`` simulated seconds per second. The
Streamlit dashboard runs as a child process reading the same data directory.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
import webbrowser
from datetime import UTC, datetime, timedelta
from importlib import resources

from rich.console import Console

from cargotrail.errors import ConfigError
from cargotrail.settings import Settings
from cargotrail.simulated import simulated_stack
from cargotrail.wiring import prepare_data_dir
from services.simulator import SimConfig
from services.simulator.clock import RealTimeClock

console = Console(stderr=True)
LIVE_S = 7 * 86400.0  # simulated time played live after the warm-up (a week: ~47 min at 200x)


LIVE_STEP_S = 60.0  # device time per micro-batch once live: smooth at any --speed


def _feed(settings: Settings, containers: int, speed: float, warmup_s: float, stop: threading.Event) -> None:
    start = (datetime.now(UTC) - timedelta(seconds=warmup_s)).replace(microsecond=0)
    config = SimConfig(
        containers=containers,
        seed=int(start.timestamp()) % 10_000,
        start=start,
        horizon_s=warmup_s + LIVE_S,
        # About one anomaly of each kind per 30 containers and simulated day, so the
        # alert queue is never empty for long.
        anomalies_per_kind=max(2, int(containers * (warmup_s + LIVE_S) / 86400 / 30)),
    )
    stack = simulated_stack(settings, config)
    sim = stack.simulator
    history = sim.batches(warmup_s, 900.0)
    live = RealTimeClock(factor=speed).pace(sim.batches(LIVE_S, LIVE_STEP_S, from_s=warmup_s))
    try:
        for batch in itertools.chain(history, live):
            if stop.is_set():
                break
            stack.clock[0] = batch.watermark.timestamp()
            stack.runtime.ingest(batch.readings, batch.rfid, batch.plans, source_time=stack.clock[0])
    finally:
        stack.store.close()


def run_demo(
    settings: Settings,
    *,
    containers: int,
    speed: float,
    warmup_s: float,
    port: int | None,
    open_browser: bool,
) -> None:
    if speed <= 0:
        raise ConfigError(f"--speed {speed}: must be positive")
    prepare_data_dir(settings, fresh=True)
    stop = threading.Event()
    feeder = threading.Thread(
        target=_feed, args=(settings, containers, speed, warmup_s, stop), daemon=True, name="simulated-feed"
    )
    feeder.start()
    port = port or settings.dashboard_port
    app = resources.files("dashboards") / "app.py"
    env = {**os.environ, "CARGOTRAIL_DATA_DIR": str(settings.data_dir.resolve())}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    dashboard = subprocess.Popen(cmd, env=env)
    url = f"http://localhost:{port}"
    console.print(
        f"[bold green]cargotrail demo[/]: {containers} containers, {speed:g}x real time, "
        f"data in {settings.data_dir}"
    )
    console.print(f"Control tower: [bold]{url}[/]  (Ctrl-C to stop)")
    if open_browser:
        webbrowser.open(url)
    announced = False
    try:
        while dashboard.poll() is None:
            time.sleep(0.5)
            if not feeder.is_alive() and not announced:
                console.print(
                    "the simulated week is over; the dashboard stays up with its data (Ctrl-C to stop)"
                )
                announced = True
    except KeyboardInterrupt:
        console.print("stopping...")
    finally:
        stop.set()
        if dashboard.poll() is None:
            dashboard.send_signal(signal.SIGTERM)
            try:
                dashboard.wait(timeout=10)
            except subprocess.TimeoutExpired:
                dashboard.kill()
        feeder.join(timeout=10)
