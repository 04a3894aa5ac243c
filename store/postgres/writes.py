"""The writes of the PostgreSQL store: the sink's (idempotent, binary COPY) and the operators' triage."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

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
from store.base import SEVERITY_RANK, TRIAGE_STATUS, AlertRow, ReadingFlag, TriageAction
from store.postgres.connect import Conn
from store.postgres.copy import (
    ALERTS,
    DEAD_LETTERS,
    EVENTS,
    PLANS,
    POSITIONS_FROM_STAGE,
    PRESENCE_FROM_STAGE,
    PROOFS,
    READINGS,
    RFID,
    copy_upsert,
)
from store.postgres.layout import PARTITIONED, month_partition_sql, months, partition_name
from store.postgres.reads import Reads

_enc = msgspec.json.Encoder()
PARTITIONS_LOCK = "SELECT pg_advisory_xact_lock(hashtext('cargotrail:partitions:' || current_schema()))"


def _ids(what: str, ids: Sequence[str]) -> str:
    """A short mention of the ids a failed write was about, for the error message."""
    return f"{what} {ids[0]}" + (f" .. {ids[-1]} ({len(ids)})" if len(ids) > 1 else "")


class Writes(Reads):
    layout: str = PARTITIONED

    def _ensure_partitions(self, conn: Conn, readings: Sequence[Reading]) -> None:
        """Create the monthly partitions these readings fall into, if missing (partitioned layout only)."""
        if self.layout != PARTITIONED or not readings:
            return
        wanted = [
            partition_name(y, m) for y, m in months(min(r.ts for r in readings), max(r.ts for r in readings))
        ]
        missing = conn.execute(
            "SELECT n FROM unnest(%s::text[]) AS n "
            "WHERE to_regclass(quote_ident(current_schema()) || '.' || n) IS NULL",
            [wanted],
        ).fetchall()
        if missing:
            conn.execute(PARTITIONS_LOCK)
            for (name,) in missing:
                year, month = int(name[10:14]), int(name[15:17])
                conn.execute(month_partition_sql(year, month))

    def write_readings(
        self, readings: Sequence[Reading], ids: Sequence[str], *, flag: ReadingFlag = ReadingFlag.IN_ORDER
    ) -> int:
        if len(readings) != len(ids):
            raise StoreError(f"write_readings: {len(readings)} readings but {len(ids)} ids")
        if not readings:
            return 0
        f = int(flag)
        rows = (
            (
                i,
                r.container_id,
                r.device_id,
                r.seq,
                r.ts,
                r.lat,
                r.lon,
                r.speed_kmh,
                r.temperature_c,
                r.shock_g,
                r.door_open,
                r.battery_pct,
                r.source,
                f,
                _enc.encode(r),
            )
            for r, i in zip(readings, ids, strict=True)
        )
        then = [POSITIONS_FROM_STAGE] if flag is ReadingFlag.IN_ORDER else []
        with self._write(f"writing {_ids('readings', ids)}") as conn:
            self._ensure_partitions(conn, readings)
            return copy_upsert(conn, READINGS, rows, then)

    def write_rfid(self, reads: Sequence[RfidRead]) -> int:
        if not reads:
            return 0
        rows = [
            (
                rfid_id(r.reader_id, r.tag_epc, r.ts),
                r.container_id,
                r.reader_id,
                r.read_point,
                r.biz_step.value,
                r.ts,
                _enc.encode(r),
            )
            for r in reads
        ]
        with self._write(f"writing {_ids('RFID reads', [str(r[0]) for r in rows])}") as conn:
            return copy_upsert(conn, RFID, rows)

    def write_events(self, events: Sequence[GeofenceEvent]) -> int:
        if not events:
            return 0
        rows = (
            (
                e.event_id,
                e.kind.value,
                e.container_id,
                e.zone_id,
                e.zone_type.value,
                e.ts,
                e.dwell_s,
                _enc.encode(e),
            )
            for e in events
        )
        with self._write(f"writing {_ids('geofence events', [e.event_id for e in events])}") as conn:
            return copy_upsert(conn, EVENTS, rows, [PRESENCE_FROM_STAGE])

    def write_alerts(self, alerts: Sequence[Alert]) -> int:
        if not alerts:
            return 0
        rows = (
            (
                a.alert_id,
                a.kind.value,
                a.severity.value,
                SEVERITY_RANK[a.severity],
                a.container_id,
                a.ts,
                a.lat,
                a.lon,
                a.explanation.summary,
                _enc.encode(a),
            )
            for a in alerts
        )
        with self._write(f"writing {_ids('alerts', [a.alert_id for a in alerts])}") as conn:
            return copy_upsert(conn, ALERTS, rows)

    def write_plans(self, plans: Sequence[VoyagePlan], seen_ts: float) -> int:
        if not plans:
            return 0
        rows = []
        for p in plans:
            body = _enc.encode(p)
            plan_id = hashlib.sha256(body).hexdigest()[:32]  # the same id as the SQLite store
            rows.append(
                (plan_id, p.container_id, p.origin, p.destination, p.container_class.value, seen_ts, body)
            )
        with self._write(f"writing plans of {_ids('containers', [p.container_id for p in plans])}") as conn:
            return copy_upsert(conn, PLANS, rows)

    def write_dead_letters(self, rejections: Sequence[Rejection], ts: float) -> int:
        if not rejections:
            return 0
        rows = []
        for r in rejections:
            fields = (ts, r.source, r.position, r.record, r.field, r.reason, r.raw)
            key = hashlib.sha256("\x1f".join(map(str, fields)).encode()).hexdigest()[:32]
            rows.append((key, *fields))
        with self._write(f"writing {len(rows)} dead letters from {rejections[0].source}") as conn:
            return copy_upsert(conn, DEAD_LETTERS, rows)

    def write_anchor(self, receipt: AnchorReceipt, proofs: Sequence[Proof]) -> None:
        r = receipt
        with self._write(f"writing anchor of batch {r.batch_id} (tx {r.tx_id})") as conn:
            conn.execute(
                "INSERT INTO anchors VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
                (
                    r.batch_id,
                    r.stream,
                    r.root,
                    r.size,
                    r.first_ts,
                    r.last_ts,
                    r.prev_root,
                    r.ledger.value,
                    r.tx_id,
                    r.block,
                    _enc.encode(r),
                ),
            )
            rows = ((p.record_id, p.batch_id, p.leaf_index, _enc.encode(p)) for p in proofs)
            copy_upsert(conn, PROOFS, rows)

    def put_meta(self, key: str, value: bytes) -> None:
        with self._write(f"saving {key}") as conn:
            conn.execute(
                "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

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
        with self._write(f"triage of alert {alert_id}") as conn:
            cur = conn.execute(
                "UPDATE alerts SET status = %s, assignee = COALESCE(%s, assignee), updated_ts = %s "
                "WHERE alert_id = %s",
                (status.value, assignee, now, alert_id),
            )
            if cur.rowcount == 0:
                raise StoreError(f"alert {alert_id} does not exist")
            conn.execute(
                "INSERT INTO alert_actions (alert_id, ts, action, operator, note) "
                "VALUES (%s, %s, %s, %s, %s)",
                (alert_id, now, action.value + (f" to {assignee}" if assignee else ""), operator, note),
            )
        return self._alert_rows("WHERE alert_id = %s", (alert_id,), 1)[0]
