"""A snapshot of the processing stage's state, so a runtime can restart from it instead of from history.

``Processors.snapshot`` / ``Processors.restore`` (``streams.processors.pipeline``) use this module.
What it holds is everything that influences later outputs: the reorder buffer (held readings,
device numbering, watermark), the voyage plans and container numbering, the anomaly rules'
columns and open episodes (GPS-jump runs and signal-loss timers included) and the geofence
tracker's per-container zones (its dwell timers follow from them). What follows from the zones
alone (spatial index, clearance grid, corridor bits) is rebuilt, not stored: the snapshot keeps
a fingerprint of the zones and of the settings, and a snapshot taken under others is refused.

Format: msgpack (msgspec), float columns as raw little-endian float64 bytes; deterministic (the
same state gives the same bytes) and versioned (``VERSION``; an unknown version is refused).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import astuple

import msgspec
import numpy as np
import numpy.typing as npt
import shapely

from cargotrail.contract.records import ContainerClass, Reading, VoyagePlan
from cargotrail.errors import ConfigError
from cargotrail.settings import Thresholds
from geofence.state import ContainerZones
from geofence.transitions import ZoneTracker
from geofence.zones import Zone
from streams.processors.anomaly import AnomalyProcessor
from streams.processors.devices import DeviceRanks
from streams.processors.plans import PlanBook
from streams.processors.reorder import ReorderBuffer
from streams.processors.state import ContainerState
from streams.processors.table import read_table

VERSION = 1


class SnapshotMismatch(ConfigError):
    """A snapshot this build cannot restore: unreadable, of another version, zones or settings."""


#: The anomaly columns stored, by kind (``streams.processors.columns``).
FLOAT_COLUMNS = ("last_ts", "last_lon", "last_lat", "seen_ts", "seen_lon", "seen_lat", "fired_for")
TEXT_COLUMNS = ("last_rid", "last_dev", "seen_rid", "seen_dev")


class Snapshot(msgspec.Struct, array_like=True, frozen=True):
    version: int
    zones: str  # ``zones_fingerprint`` of the zones in force
    settings: str  # ``settings_fingerprint`` (lateness bound, thresholds)
    released_until: float
    max_seen: float
    devices: list[str]  # by device code
    held: list[Reading]  # held by the reorder buffer, in the order held
    containers: list[str]  # by container code
    plans: list[VoyagePlan]  # in the order the plan book keeps them
    floats: list[bytes]  # FLOAT_COLUMNS, first len(containers) rows, float64 little-endian
    texts: list[list[str]]  # TEXT_COLUMNS, likewise
    busy: bytes  # one byte per container
    episodes: dict[str, ContainerState]
    zone_state: dict[str, ContainerZones]


class _Head(msgspec.Struct, array_like=True):
    version: int  # what any version starts with (later fields are not read)


_encoder = msgspec.msgpack.Encoder()
_head = msgspec.msgpack.Decoder(_Head)
_decoder = msgspec.msgpack.Decoder(Snapshot)


def encode(snapshot: Snapshot) -> bytes:
    return _encoder.encode(snapshot)


def decode(data: bytes) -> Snapshot:
    """The snapshot in ``data``; ``SnapshotMismatch`` when unreadable or of another version."""
    try:
        version = _head.decode(data).version
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise SnapshotMismatch(f"processor snapshot: unreadable ({exc})") from exc
    if version != VERSION:
        raise SnapshotMismatch(f"processor snapshot: version {version}, this build reads {VERSION}")
    try:
        return _decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise SnapshotMismatch(f"processor snapshot: unreadable ({exc})") from exc


def zones_fingerprint(zones: Sequence[Zone]) -> str:
    """A digest of what the processors take from ``zones``: ids, types, dwell limits, geometry, order."""
    h = hashlib.sha256()
    for z in zones:
        head = (z.zone_id, z.zone_type.value, z.dwell_limit_s)
        h.update(msgspec.msgpack.encode(head))
        h.update(shapely.to_wkb(z.geometry))
    return h.hexdigest()


def settings_fingerprint(lateness_s: float, thresholds: Mapping[ContainerClass, Thresholds]) -> str:
    rows = [(cls.value, *astuple(t)) for cls, t in sorted(thresholds.items(), key=lambda kv: kv[0].value)]
    return hashlib.sha256(msgspec.msgpack.encode([lateness_s, rows])).hexdigest()


def float_bytes(column: npt.NDArray[np.float64]) -> bytes:
    return np.ascontiguousarray(column, dtype="<f8").tobytes()


def float_column(data: bytes, n: int, what: str) -> npt.NDArray[np.float64]:
    if len(data) != 8 * n:
        raise SnapshotMismatch(f"processor snapshot: column {what} holds {len(data)} bytes, not {8 * n}")
    return np.frombuffer(data, dtype="<f8").astype(np.float64)


def take(
    fingerprints: tuple[str, str],
    reorder: ReorderBuffer,
    plans: PlanBook,
    anomaly: AnomalyProcessor,
    tracker: ZoneTracker,
) -> bytes:
    """The state of these processors; ``fingerprints``: (zones, settings)."""
    n = len(plans)
    anomaly.cols.ensure(n)
    k = anomaly.cols
    return encode(
        Snapshot(
            version=VERSION,
            zones=fingerprints[0],
            settings=fingerprints[1],
            released_until=reorder.released_until,
            max_seen=reorder.max_seen,
            devices=reorder.devices.names.tolist(),
            held=reorder.held.readings.tolist(),
            containers=list(plans.ids),
            plans=list(plans.plans.values()),
            floats=[float_bytes(getattr(k, name)[:n]) for name in FLOAT_COLUMNS],
            texts=[getattr(k, name)[:n].tolist() for name in TEXT_COLUMNS],
            busy=k.busy[:n].astype(np.uint8).tobytes(),
            episodes=dict(anomaly.episodes),
            zone_state=tracker.state,
        )
    )


def put(
    snap: Snapshot,
    fingerprints: tuple[str, str],
    reorder: ReorderBuffer,
    plans: PlanBook,
    anomaly: AnomalyProcessor,
    tracker: ZoneTracker,
) -> None:
    """Restore fresh processors (built with the same zones and settings) to ``snap``."""
    if snap.zones != fingerprints[0]:
        raise SnapshotMismatch("processor snapshot: taken under other zones than the ones in force")
    if snap.settings != fingerprints[1]:
        raise SnapshotMismatch("processor snapshot: taken with another lateness bound or other thresholds")
    if len(plans):
        raise SnapshotMismatch("processor snapshot: restore into fresh processors only")
    plans.codes_of(snap.containers)
    plans.add(snap.plans)
    n = len(plans)
    anomaly.cols.ensure(n)
    k = anomaly.cols
    for name, data in zip(FLOAT_COLUMNS, snap.floats, strict=True):
        getattr(k, name)[:n] = float_column(data, n, name)
    for name, texts in zip(TEXT_COLUMNS, snap.texts, strict=True):
        if len(texts) != n:
            raise SnapshotMismatch(f"processor snapshot: column {name} holds {len(texts)} rows, not {n}")
        getattr(k, name)[:n] = texts
    if len(snap.busy) != n:
        raise SnapshotMismatch(f"processor snapshot: column busy holds {len(snap.busy)} rows, not {n}")
    k.busy[:n] = np.frombuffer(snap.busy, dtype=np.uint8).astype(bool)
    anomaly.episodes = dict(snap.episodes)
    tracker.state = snap.zone_state
    reorder.devices = DeviceRanks.of(snap.devices)
    reorder.released_until, reorder.max_seen = snap.released_until, snap.max_seen
    reorder.held = read_table(snap.held, reorder.devices, plans)
