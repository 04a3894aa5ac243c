"""SQLite adapter, the reading half: every query the control tower, the API and auditors ask.

A mixin of ``SqliteStore`` (store/sqlite.py), which owns the connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from cargotrail.contract.records import (
    Alert,
    AnchorReceipt,
    GeofenceEvent,
    Proof,
    Reading,
    RfidRead,
    VoyagePlan,
    ZoneType,
)
from cargotrail.contract.validate import Rejection
from cargotrail.errors import StoreError
from ledger.core.merkle import tree_levels
from store.base import (
    ID_WIDTH,
    AlertRow,
    AlertStatus,
    DeadLetter,
    DwellStats,
    Position,
    StoredRecord,
    ZoneOccupancy,
    index_of,
    nearest_rank,
    proof_from_leaves,
    split_leaves,
)

_reading = msgspec.json.Decoder(Reading)
_rfid = msgspec.json.Decoder(RfidRead)
_event = msgspec.json.Decoder(GeofenceEvent)
_alert = msgspec.json.Decoder(Alert)
_plan = msgspec.json.Decoder(VoyagePlan)
_anchor = msgspec.json.Decoder(AnchorReceipt)


_LOOKUP_CHUNK = 500  # ids per query, well under SQLite's limit on bound parameters

# The anchored record kinds: (kind, table, id column).
_RECORD_TABLES = (
    ("reading", "readings", "reading_id"),
    ("rfid", "rfid_reads", "rfid_id"),
    ("geofence", "geofence_events", "event_id"),
    ("alert", "alerts", "alert_id"),
)


class SqliteReads:
    """Queries over ``self._db`` (sqlite3 errors become ``StoreError``)."""

    path: Path
    _db: sqlite3.Connection
    _trees: dict[str, tuple[bytes, list[list[bytes]]]]

    def _one(self, sql: str, args: tuple[object, ...] = ()) -> tuple[Any, ...] | None:
        try:
            row: tuple[Any, ...] | None = self._db.execute(sql, args).fetchone()
            return row
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self.path}: query failed: {exc}") from exc

    def _all(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return list(self._db.execute(sql, args).fetchall())
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self.path}: query failed: {exc}") from exc

    def latest_positions(self) -> list[Position]:
        rows = self._all(
            "SELECT container_id, device_id, reading_id, ts, lat, lon, speed_kmh, temperature_c "
            "FROM positions"
        )
        return [
            Position(
                container_id=str(c),
                device_id=str(d),
                reading_id=str(r),
                ts=float(t),
                lat=float(la),
                lon=float(lo),
                speed_kmh=s,
                temperature_c=te,
            )
            for c, d, r, t, la, lo, s, te in rows
        ]

    def track(self, container_id: str, start: float, end: float, max_points: int = 2000) -> list[Reading]:
        rows = self._all(
            "SELECT body FROM (SELECT body, ts, ROW_NUMBER() OVER (ORDER BY ts) - 1 AS rn, "
            "COUNT(*) OVER () AS n FROM readings WHERE container_id = ? AND ts BETWEEN ? AND ? AND flag = 0) "
            "WHERE rn % MAX(1, (n + ? - 1) / ?) = 0 OR rn = n - 1 ORDER BY ts",
            (container_id, start, min(end, 1e15), max_points, max_points),
        )
        return [_reading.decode(b) for (b,) in rows]

    def _alert_rows(self, where: str, args: tuple[object, ...], limit: int) -> list[AlertRow]:
        rows = self._all(
            f"SELECT body, status, assignee, updated_ts FROM alerts {where} "
            "ORDER BY severity_rank, ts LIMIT ?",
            (*args, limit),
        )
        return [
            AlertRow(alert=_alert.decode(b), status=AlertStatus(s), assignee=a, updated_ts=u)
            for b, s, a, u in rows
        ]

    def alerts(
        self, *, status: AlertStatus | None = None, container_id: str | None = None, limit: int = 500
    ) -> list[AlertRow]:
        clauses, args = [], []
        if status is not None:
            clauses.append("status = ?")
            args.append(status.value)
        if container_id is not None:
            clauses.append("container_id = ?")
            args.append(container_id)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return self._alert_rows(where, tuple(args), limit)

    def events(self, container_id: str, start: float = 0.0, end: float = float("inf")) -> list[GeofenceEvent]:
        rows = self._all(
            "SELECT body FROM geofence_events WHERE container_id=? AND ts BETWEEN ? AND ? ORDER BY ts",
            (container_id, start, min(end, 1e15)),
        )
        return [_event.decode(b) for (b,) in rows]

    def rfid(self, container_id: str) -> list[RfidRead]:
        rows = self._all("SELECT body FROM rfid_reads WHERE container_id=? ORDER BY ts", (container_id,))
        return [_rfid.decode(b) for (b,) in rows]

    def plans(self, container_id: str) -> list[VoyagePlan]:
        rows = self._all("SELECT body FROM plans WHERE container_id=? ORDER BY seen_ts", (container_id,))
        return [_plan.decode(b) for (b,) in rows]

    def dead_letters(self, limit: int = 200) -> list[DeadLetter]:
        rows = self._all(
            "SELECT id, ts, source, position, record, field, reason, raw, replayed "
            "FROM dead_letters ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            DeadLetter(
                id=int(i),
                ts=float(t),
                replayed=bool(rp),
                rejection=Rejection(
                    source=str(s), position=int(p), record=str(rc), field=str(f), reason=str(rs), raw=str(raw)
                ),
            )
            for i, t, s, p, rc, f, rs, raw, rp in rows
        ]

    def counts(self) -> dict[str, int]:
        tables = (
            "readings",
            "rfid_reads",
            "geofence_events",
            "alerts",
            "plans",
            "dead_letters",
            "anchors",
            "positions",
        )
        out = {t: int(self._all(f"SELECT COUNT(*) FROM {t}")[0][0]) for t in tables}
        packed = self._one("SELECT COALESCE(SUM(length(record_ids)), 0) FROM batch_leaves")
        out["proofs"] = int(packed[0]) // ID_WIDTH if packed else 0
        open_ = self._one("SELECT COUNT(*) FROM alerts WHERE status != 'resolved'")
        out["open_alerts"] = int(open_[0]) if open_ else 0
        return out

    def record(self, record_id: str) -> StoredRecord | None:
        for kind, table, key in _RECORD_TABLES:
            row = self._one(f"SELECT body FROM {table} WHERE {key} = ?", (record_id,))
            if row is not None:
                return StoredRecord(record_id=record_id, kind=kind, body=bytes(row[0]))
        return None

    def stored_reading_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for at in range(0, len(ids), _LOOKUP_CHUNK):
            chunk = tuple(ids[at : at + _LOOKUP_CHUNK])
            marks = ",".join("?" * len(chunk))
            rows = self._all(f"SELECT reading_id FROM readings WHERE reading_id IN ({marks})", chunk)
            found.update(str(i) for (i,) in rows)
        return found

    def records_for(self, container_id: str, start: float, end: float) -> list[StoredRecord]:
        where = "WHERE container_id = ?1 AND ts BETWEEN ?2 AND ?3"
        rows = self._all(
            f"SELECT id, kind, body FROM ("
            f"SELECT reading_id AS id, 'reading' AS kind, ts, body FROM readings {where} "
            f"UNION ALL SELECT rfid_id, 'rfid', ts, body FROM rfid_reads {where} "
            f"UNION ALL SELECT event_id, 'geofence', ts, body FROM geofence_events {where} "
            f"UNION ALL SELECT alert_id, 'alert', ts, body FROM alerts {where}) ORDER BY ts, kind, id",
            (container_id, start, min(end, 1e15)),
        )
        return [StoredRecord(record_id=str(i), kind=str(k), body=bytes(b)) for i, k, b in rows]

    def zone_occupancy(self) -> list[ZoneOccupancy]:
        rows = self._all(
            "SELECT zone_id, zone_type, COUNT(*) AS n FROM (SELECT zone_id, zone_type, kind, "
            "ROW_NUMBER() OVER (PARTITION BY container_id, zone_id "
            "ORDER BY ts DESC, kind IN ('exit', 'crossed') DESC) AS rn "
            "FROM geofence_events) WHERE rn = 1 AND kind IN ('enter', 'dwell_exceeded') "
            "GROUP BY zone_id ORDER BY n DESC, zone_id"
        )
        return [ZoneOccupancy(zone_id=z, zone_type=ZoneType(t), containers=int(n)) for z, t, n in rows]

    def dwell_stats(
        self, start: float = 0.0, end: float = float("inf"), *, zone_id: str | None = None
    ) -> list[DwellStats]:
        # dwell_s lives only in the body here; percentiles are computed in Python (SQLite has none).
        rows = self._all(
            "SELECT zone_id, zone_type, json_extract(CAST(body AS TEXT), '$.dwell_s') AS d "
            "FROM geofence_events WHERE kind = 'exit' AND ts BETWEEN ? AND ? "
            "AND zone_id = COALESCE(?, zone_id) AND d IS NOT NULL ORDER BY zone_id, d",
            (max(start, -1e15), min(end, 1e15), zone_id),
        )
        by_zone: dict[str, tuple[str, list[float]]] = {}
        for z, t, d in rows:
            by_zone.setdefault(z, (t, []))[1].append(float(d))
        return [
            DwellStats(
                zone_id=z,
                zone_type=ZoneType(t),
                visits=len(ds),
                mean_s=sum(ds) / len(ds),
                p50_s=nearest_rank(ds, 0.5),
                p95_s=nearest_rank(ds, 0.95),
                max_s=ds[-1],
            )
            for z, (t, ds) in by_zone.items()
        ]

    def proof(self, record_id: str) -> Proof | None:
        """The record's inclusion proof, recomputed from its batch's stored leaves."""
        ts = self._record_ts(record_id)
        if ts is None:
            return None
        candidates = self._all(
            "SELECT batch_id, leaves, record_ids FROM batch_leaves WHERE first_ts <= ? AND last_ts >= ? "
            "ORDER BY first_ts",
            (ts, ts),
        )
        for batch_id, blob, ids in candidates:
            index = index_of(bytes(ids), record_id)
            if index is not None:
                return proof_from_leaves(record_id, str(batch_id), index, self._levels(str(batch_id), blob))
        return None

    def _record_ts(self, record_id: str) -> float | None:
        for _, table, key in _RECORD_TABLES:
            row = self._one(f"SELECT ts FROM {table} WHERE {key} = ?", (record_id,))
            if row is not None:
                return float(row[0])
        return None

    def _levels(self, batch_id: str, blob: bytes | None) -> list[list[bytes]]:
        # Trail checks ask for many records of one batch in a row: keep the last trees,
        # reused only while the stored leaves are byte for byte the ones they were built from.
        cached = self._trees.get(batch_id)
        if cached is not None and cached[0] == blob:
            return cached[1]
        levels = tree_levels(split_leaves(batch_id, blob))
        if len(self._trees) >= 8:
            self._trees.pop(next(iter(self._trees)))
        self._trees[batch_id] = (bytes(blob or b""), levels)
        return levels

    def anchor(self, batch_id: str) -> AnchorReceipt | None:
        row = self._one("SELECT body FROM anchors WHERE batch_id = ?", (batch_id,))
        return None if row is None else _anchor.decode(row[0])

    def anchors(self, stream: str | None = None, limit: int = 1000) -> list[AnchorReceipt]:
        sql = (
            "SELECT body FROM anchors "
            + ("WHERE stream = ? " if stream else "")
            + "ORDER BY first_ts LIMIT ?"
        )
        rows = self._all(sql, ((stream,) if stream else ()) + (limit,))
        return [_anchor.decode(b) for (b,) in rows]
