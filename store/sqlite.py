"""SQLite adapter (the embedded default): one file in the data directory, WAL mode.

sqlite3 errors are translated into ``StoreError`` here, at the boundary.
One connection per store object; the dashboard opens its own (WAL lets it
read while the pipeline writes).
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec

from cargotrail.contract.ids import rfid_id
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
    SEVERITY_RANK,
    AlertRow,
    AlertStatus,
    DeadLetter,
    DwellStats,
    Position,
    ReadingFlag,
    StoredRecord,
    TriageAction,
    TriageEntry,
    ZoneOccupancy,
    nearest_rank,
    proof_from_leaves,
    split_leaves,
)

_enc = msgspec.json.Encoder()
_reading = msgspec.json.Decoder(Reading)
_rfid = msgspec.json.Decoder(RfidRead)
_event = msgspec.json.Decoder(GeofenceEvent)
_alert = msgspec.json.Decoder(Alert)
_plan = msgspec.json.Decoder(VoyagePlan)
_anchor = msgspec.json.Decoder(AnchorReceipt)
_rejection = msgspec.json.Decoder(Rejection)

_TRANSITIONS = {
    TriageAction.ACKNOWLEDGE: AlertStatus.ACKNOWLEDGED,
    TriageAction.ASSIGN: AlertStatus.ASSIGNED,
    TriageAction.RESOLVE: AlertStatus.RESOLVED,
}


def migrations() -> list[tuple[int, str]]:
    """Forward-only migrations shipped with the package, in order."""
    folder = resources.files("store") / "migrations" / "sqlite"
    found = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(int(name.split("_", 1)[0]), (folder / name).read_text()) for name in found]


class SqliteStore:
    def __init__(self, path: Path | str, *, timeout_s: float = 30.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._in_unit = False
        self._trees: dict[str, tuple[bytes, list[list[bytes]]]] = {}
        try:
            self._db = sqlite3.connect(self.path, timeout=timeout_s, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            # Ingest inserts random-keyed rows (hash ids) in large batches: a bigger page
            # cache and fewer, larger WAL checkpoints keep that from thrashing the disk.
            self._db.execute("PRAGMA cache_size=-131072")  # 128 MiB
            self._db.execute("PRAGMA wal_autocheckpoint=20000")  # pages (~80 MiB of WAL)
            self._db.execute("PRAGMA temp_store=MEMORY")
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite store {self.path}: {exc}") from exc

    def _migrate(self) -> None:
        db = self._db
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_ts REAL)")
        done = {v for (v,) in db.execute("SELECT version FROM schema_version")}
        for version, sql in migrations():
            if version in done:
                continue
            with db:
                db.executescript("BEGIN;" + sql + ";COMMIT;")
                db.execute("INSERT INTO schema_version VALUES (?, ?)", (version, time.time()))

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """Group the writes of one micro-batch into one transaction (one commit, not one per table)."""
        if self._in_unit:
            yield
            return
        try:
            with self._tx("writing a micro-batch"):
                self._in_unit = True
                yield
        finally:
            self._in_unit = False

    @contextmanager
    def _tx(self, what: str) -> Iterator[sqlite3.Connection]:
        try:
            if self._in_unit:
                yield self._db  # the enclosing unit of work commits
            else:
                with self._db:
                    yield self._db
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self.path}: {what} failed: {exc}") from exc

    def _many(self, what: str, sql: str, rows: Sequence[tuple[Any, ...]]) -> int:
        if not rows:
            return 0
        with self._tx(what) as db:
            before = db.total_changes
            db.executemany(sql, rows)
            return db.total_changes - before

    # -- writes ---------------------------------------------------------------
    def write_readings(
        self, readings: Sequence[Reading], ids: Sequence[str], *, flag: ReadingFlag = ReadingFlag.IN_ORDER
    ) -> int:
        rows = [
            (
                i,
                r.container_id,
                r.device_id,
                r.seq,
                r.ts.timestamp(),
                r.lat,
                r.lon,
                r.speed_kmh,
                r.temperature_c,
                r.shock_g,
                r.door_open,
                r.battery_pct,
                r.source,
                int(flag),
                _enc.encode(r),
            )
            for r, i in zip(readings, ids, strict=True)
        ]
        n = self._many(
            "writing readings", "INSERT OR IGNORE INTO readings VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows
        )
        if flag is ReadingFlag.IN_ORDER:
            newest: dict[str, tuple[object, ...]] = {}
            for row in rows:
                newest[str(row[1])] = (row[1], row[2], row[0], row[4], row[5], row[6], row[7], row[8])
            self._many(
                "updating positions",
                "INSERT INTO positions VALUES (?,?,?,?,?,?,?,?) "
                "ON CONFLICT (container_id) DO UPDATE SET device_id=excluded.device_id, "
                "reading_id=excluded.reading_id, ts=excluded.ts, lat=excluded.lat, lon=excluded.lon, "
                "speed_kmh=excluded.speed_kmh, temperature_c=excluded.temperature_c "
                "WHERE excluded.ts > positions.ts",
                list(newest.values()),
            )
        return n

    def write_rfid(self, reads: Sequence[RfidRead]) -> int:
        rows = [
            (
                rfid_id(r.reader_id, r.tag_epc, r.ts),
                r.container_id,
                r.reader_id,
                r.read_point,
                r.biz_step.value,
                r.ts.timestamp(),
                _enc.encode(r),
            )
            for r in reads
        ]
        return self._many(
            "writing RFID reads", "INSERT OR IGNORE INTO rfid_reads VALUES (?,?,?,?,?,?,?)", rows
        )

    def write_events(self, events: Sequence[GeofenceEvent]) -> int:
        rows = [
            (
                e.event_id,
                e.kind.value,
                e.container_id,
                e.zone_id,
                e.zone_type.value,
                e.ts.timestamp(),
                _enc.encode(e),
            )
            for e in events
        ]
        return self._many(
            "writing geofence events", "INSERT OR IGNORE INTO geofence_events VALUES (?,?,?,?,?,?,?)", rows
        )

    def write_alerts(self, alerts: Sequence[Alert]) -> int:
        rows = [
            (
                a.alert_id,
                a.kind.value,
                a.severity.value,
                SEVERITY_RANK[a.severity],
                a.container_id,
                a.ts.timestamp(),
                a.lat,
                a.lon,
                a.explanation.summary,
                _enc.encode(a),
            )
            for a in alerts
        ]
        return self._many(
            "writing alerts",
            "INSERT OR IGNORE INTO alerts (alert_id, kind, severity, "
            "severity_rank, container_id, ts, lat, lon, summary, body) VALUES (?,?,?,?,?,?,?,?,?,?)",
            rows,
        )

    def write_plans(self, plans: Sequence[VoyagePlan], seen_ts: float) -> int:
        rows = []
        for p in plans:
            body = _enc.encode(p)
            rows.append(
                (
                    hashlib.sha256(body).hexdigest()[:32],
                    p.container_id,
                    p.origin,
                    p.destination,
                    p.container_class.value,
                    seen_ts,
                    body,
                )
            )
        return self._many("writing plans", "INSERT OR IGNORE INTO plans VALUES (?,?,?,?,?,?,?)", rows)

    def write_dead_letters(self, rejections: Sequence[Rejection], ts: float) -> int:
        rows = [(ts, r.source, r.position, r.record, r.field, r.reason, r.raw) for r in rejections]
        return self._many(
            "writing dead letters",
            "INSERT INTO dead_letters (ts, source, position, record, "
            "field, reason, raw) VALUES (?,?,?,?,?,?,?)",
            rows,
        )

    def write_anchor(self, receipt: AnchorReceipt, proofs: Sequence[Proof]) -> None:
        with self._tx(f"writing anchor of batch {receipt.batch_id}") as db:
            db.execute(
                "INSERT OR IGNORE INTO anchors VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    receipt.batch_id,
                    receipt.stream,
                    receipt.root,
                    receipt.size,
                    receipt.first_ts.timestamp(),
                    receipt.last_ts.timestamp(),
                    receipt.prev_root,
                    receipt.ledger.value,
                    receipt.tx_id,
                    receipt.block,
                    _enc.encode(receipt),
                ),
            )
            db.executemany(
                "INSERT OR IGNORE INTO proofs VALUES (?,?,?)",
                [(p.record_id, p.batch_id, p.leaf_index) for p in proofs],
            )
            leaves = b"".join(bytes.fromhex(p.leaf_hash) for p in sorted(proofs, key=lambda p: p.leaf_index))
            db.execute("INSERT OR IGNORE INTO batch_leaves VALUES (?, ?)", (receipt.batch_id, leaves))

    def put_meta(self, key: str, value: bytes) -> None:
        with self._tx(f"saving {key}") as db:
            db.execute(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                (key, value),
            )

    def get_meta(self, key: str) -> bytes | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else bytes(row[0])

    # -- triage ---------------------------------------------------------------
    def triage(
        self,
        alert_id: str,
        action: TriageAction,
        operator: str,
        *,
        assignee: str | None = None,
        note: str = "",
    ) -> AlertRow:
        if not operator.strip():
            raise StoreError(f"alert {alert_id}: triage needs the operator's name")
        now = time.time()
        status = _TRANSITIONS[action]
        with self._tx(f"triage of alert {alert_id}") as db:
            cur = db.execute(
                "UPDATE alerts SET status=?, assignee=COALESCE(?, assignee), updated_ts=? WHERE alert_id=?",
                (status.value, assignee, now, alert_id),
            )
            if cur.rowcount == 0:
                raise StoreError(f"alert {alert_id} does not exist")
            db.execute(
                "INSERT INTO alert_actions (alert_id, ts, action, operator, note) VALUES (?,?,?,?,?)",
                (alert_id, now, action.value + (f" to {assignee}" if assignee else ""), operator, note),
            )
        rows = self._alert_rows("WHERE alert_id = ?", (alert_id,), 1)
        return rows[0]

    def triage_log(self, alert_id: str) -> list[TriageEntry]:
        rows = self._all(
            "SELECT alert_id, ts, action, operator, note FROM alert_actions WHERE alert_id=? ORDER BY id",
            (alert_id,),
        )
        return [TriageEntry(alert_id=a, ts=t, action=x, operator=o, note=n) for a, t, x, o, n in rows]

    # -- reads ----------------------------------------------------------------
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
            "proofs",
            "positions",
        )
        out = {t: int(self._all(f"SELECT COUNT(*) FROM {t}")[0][0]) for t in tables}
        open_ = self._one("SELECT COUNT(*) FROM alerts WHERE status != 'resolved'")
        out["open_alerts"] = int(open_[0]) if open_ else 0
        return out

    def record(self, record_id: str) -> StoredRecord | None:
        for kind, table, key in (
            ("reading", "readings", "reading_id"),
            ("rfid", "rfid_reads", "rfid_id"),
            ("geofence", "geofence_events", "event_id"),
            ("alert", "alerts", "alert_id"),
        ):
            row = self._one(f"SELECT body FROM {table} WHERE {key} = ?", (record_id,))
            if row is not None:
                return StoredRecord(record_id=record_id, kind=kind, body=bytes(row[0]))
        return None

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
        row = self._one(
            "SELECT p.batch_id, p.leaf_index, b.leaves FROM proofs p LEFT JOIN batch_leaves b "
            "ON b.batch_id = p.batch_id WHERE p.record_id = ?",
            (record_id,),
        )
        if row is None:
            return None
        batch_id, index, blob = str(row[0]), int(row[1]), row[2]
        return proof_from_leaves(record_id, batch_id, index, self._levels(batch_id, blob))

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

    def close(self) -> None:
        self._db.close()
