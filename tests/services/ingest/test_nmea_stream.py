"""NMEA 0183 over real loopback TCP and UDP sockets into the gateway's store and dead-letter table."""

from __future__ import annotations

import dataclasses
import socket
from datetime import UTC, datetime, timedelta

import pytest

from cargotrail.settings import Settings
from cargotrail.wiring import open_store
from services.ingest.gateway import IngestGateway
from services.ingest.nmea_stream import NmeaListener, StreamConfig
from services.ingest.pipeline import load_registry, save_registry
from tests.conftest import SHARED_DATA
from tests.services.ingest.conftest import WAIT_S, wait_until
from tests.services.ingest.mutants import sentence

pytestmark = pytest.mark.integration

DEVICE, CONTAINER = "GPS-S1", "CSQU3054383"


def fixes(n: int, first: int = 0) -> list[str]:
    start = datetime.now(UTC) - timedelta(hours=2)
    times = [start + timedelta(seconds=first + k) for k in range(n)]
    return [
        sentence(f"GPGGA,{t:%H%M%S}.00,5101.{k:03d},N,00406.000,E,1,08,0.9,5,M,,M,,")
        for k, t in enumerate(times)
    ]


def send(port: int, data: bytes, piece: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as s:
        for i in range(0, len(data), piece):
            s.sendall(data[i : i + piece])


@pytest.fixture
def gateway(tmp_path):
    settings = dataclasses.replace(Settings(), data_dir=tmp_path / "data")
    registry = load_registry(settings.data_dir)
    registry.bind(DEVICE, CONTAINER)
    save_registry(settings.data_dir, registry)
    gw = IngestGateway(settings)
    yield gw
    gw.close()


def stored(gw: IngestGateway):
    gw.close()  # flush the runtime's reorder buffer
    store = open_store(gw.settings)
    try:
        return store.counts()["readings"], store.dead_letters(1000)
    finally:
        store.close()


def test_tcp_lines_in_any_chunking_are_parsed_and_bad_ones_dead_lettered(gateway):
    sample = (SHARED_DATA / "nmea" / "data.log").read_bytes()  # 1 fix, 3 skipped, 1 not NMEA ("foobar")
    good = fixes(40)
    bad_checksum = good[0][:-2] + ("00" if not good[0].endswith("00") else "11")
    stream = (
        sample.rstrip(b"\n")
        + b"\r\n"
        + "\r\n".join(good[:20]).encode()
        + b"\r\n"
        + b"$GPGGA,"
        + b"9" * 5000
        + b"\r\n"  # over the line limit: dead-lettered whole, not buffered
        + bad_checksum.encode()
        + b"\r\n"
        + "\n".join(good[20:]).encode()  # the last line has no newline: end of stream completes it
    )
    listener = NmeaListener(gateway, StreamConfig(DEVICE, tcp_port=0, chunk_lines=7))
    listener.start()
    try:
        send(listener.ports["tcp"], stream, len(stream))
        send(listener.ports["tcp"], stream[:-1], 13)  # in 13-byte pieces, the last checksum cut short
        lines_each = sample.count(b"\n") + 1 + len(good) + 2
        wait_until(lambda: listener.lines >= 2 * lines_each, "both connections to be ingested")
    finally:
        listener.stop()
    readings, letters = stored(gateway)
    # the second connection cut the last fix short: its last line is one more dead letter
    assert readings == 1 + len(good)  # the same fixes twice are the same readings (deterministic ids)
    fields = sorted(d.rejection.field for d in letters)
    assert fields == sorted(["", "line", "checksum"] * 2 + [""]), [d.rejection for d in letters]
    line = next(d.rejection for d in letters if d.rejection.field == "line")
    assert line.record == f"{DEVICE}#line{5 + 20 + 1}" and len(line.raw) == 256
    assert all(d.rejection.reason and d.rejection.source == "nmea" for d in letters)


def test_udp_datagrams_are_lines_of_their_sender(gateway):
    good = fixes(30, first=100)
    listener = NmeaListener(gateway, StreamConfig(DEVICE, udp_port=0, chunk_s=0.2))
    listener.start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for k in range(0, len(good), 3):
                s.sendto("\r\n".join(good[k : k + 3]).encode(), ("127.0.0.1", listener.ports["udp"]))
            s.sendto(b"foobar\r\n$GPZZZ,1*00", ("127.0.0.1", listener.ports["udp"]))
            wait_until(lambda: listener.lines >= len(good) + 2, "the datagrams to be ingested")
    finally:
        listener.stop()
    readings, letters = stored(gateway)
    assert readings == len(good)
    assert sorted(d.rejection.record for d in letters) == [f"{DEVICE}#line31", f"{DEVICE}#line32"]


def test_an_idle_connection_is_closed_and_a_busy_port_is_refused(gateway):
    listener = NmeaListener(gateway, StreamConfig(DEVICE, tcp_port=0, idle_timeout_s=0.3))
    listener.start()
    try:
        with socket.create_connection(("127.0.0.1", listener.ports["tcp"]), timeout=WAIT_S) as s:
            assert s.recv(10) == b""  # the server hung up on the silent peer
        taken = NmeaListener(gateway, StreamConfig(DEVICE, tcp_port=listener.ports["tcp"]))
        with pytest.raises(OSError):
            taken.start()
    finally:
        listener.stop()
