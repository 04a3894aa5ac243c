"""HTTP batch ingest: readings/s through ``POST /v1/readings`` on a real uvicorn server (loopback).

Batches of readings (encoded once, outside the timing) are posted by a few client threads to
``cargotrail.ingest-server``'s app over one shared embedded runtime into a fresh SQLite data
directory; the clock stops when the server has flushed (the runtime's ``finish``) everything.
Issue 7's target: >= 50,000 readings/s on 2 cores.

Run: ``.venv/bin/python bench/bench_ingest.py [readings] [batch_size] [clients]``
"""

from __future__ import annotations

import dataclasses
import socket
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import msgspec
import uvicorn

from cargotrail.contract.records import Reading
from cargotrail.settings import Settings
from services.ingest.gateway import IngestGateway
from services.ingest.http import create_app

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TIMEOUT_S = 60.0


def batches(total: int, size: int) -> list[bytes]:
    out = []
    for start in range(0, total, size):
        readings = [
            Reading(
                device_id=f"TRK-{i % 500}",
                container_id="CSQU3054383",
                seq=i,
                ts=T0 + timedelta(seconds=i),
                lat=51.9 + (i % 100) * 1e-4,
                lon=4.1,
                temperature_c=5.0,
            )
            for i in range(start, min(start + size, total))
        ]
        out.append(msgspec.json.encode(readings))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 5_000
    clients = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    bodies = batches(total, size)
    with tempfile.TemporaryDirectory() as tmp:
        gateway = IngestGateway(dataclasses.replace(Settings(), data_dir=Path(tmp)))
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(gateway), port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(timeout=TIMEOUT_S) as probe:
            for _ in range(200):
                try:
                    probe.get(f"{url}/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
        accepted = [0] * clients

        def post(k: int) -> None:
            with httpx.Client(base_url=url, timeout=TIMEOUT_S) as c:
                for body in bodies[k::clients]:
                    answer = c.post("/v1/readings", content=body)
                    answer.raise_for_status()
                    accepted[k] += answer.json()["accepted"]

        started = time.perf_counter()
        workers = [threading.Thread(target=post, args=(k,)) for k in range(clients)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        server.should_exit = True
        thread.join(TIMEOUT_S)  # shutdown flushes the runtime
        elapsed = time.perf_counter() - started
    rate = sum(accepted) / elapsed
    print(
        f"HTTP batch ingest: {sum(accepted):,}/{total:,} readings accepted in {elapsed:.2f} s, "
        f"{rate:,.0f} readings/s (batches of {size}, {clients} clients; target >= 50,000)"
    )


if __name__ == "__main__":
    main()
