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
)
from cargotrail.contract.validate import Rejection
from cargotrail.errors import StoreError
from ledger.core.proofs import BatchProofs
from store.base import (
    ID_WIDTH,
    SEVERITY_RANK,
    TRIAGE_STATUS,
    AlertRow,
    ReadingFlag,
    TriageAction,
    TriageEntry,
)
from store.sqlite_changes import SqliteChanges
from store.sqlite_inbox import SqliteInbox
from store.sqlite_zones import SqliteZones

_enc = msgspec.json.Encoder()


def migrations() -> list[tuple[int, str]]:
    """Forward-only migrations shipped with the package, in order."""
    folder = resources.files("store") / "migrations" / "sqlite"
    found = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(int(name.split("_", 1)[0]), (folder / name).read_text()) for name in found]


class SqliteStore(SqliteChanges, SqliteZones, SqliteInbox):
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
            # rowcount, not total_changes: the live change log's triggers write rows of their own.
            return max(db.executemany(sql, rows).rowcount, 0)

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
            if isinstance(proofs, BatchProofs):  # straight from the batcher: no Proof objects needed
                record_ids, leaves = proofs.record_ids, b"".join(proofs.leaves)
            else:
                ordered = sorted(proofs, key=lambda p: p.leaf_index)
                record_ids = [p.record_id for p in ordered]
                leaves = b"".join(bytes.fromhex(p.leaf_hash) for p in ordered)
            ids = "".join(record_ids).encode("ascii", "replace")
            if len(ids) != ID_WIDTH * len(record_ids):
                raise StoreError(f"batch {receipt.batch_id}: record ids must be {ID_WIDTH} ASCII characters")
            span = (receipt.first_ts.timestamp(), receipt.last_ts.timestamp())
            db.execute(
                "INSERT OR IGNORE INTO batch_leaves VALUES (?, ?, ?, ?, ?)",
                (receipt.batch_id, *span, leaves, ids),
            )

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
        status = TRIAGE_STATUS[action]
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

    def close(self) -> None:
        self._db.close()
