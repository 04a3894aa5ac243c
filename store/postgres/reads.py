"""The queries of the PostgreSQL store: control room (positions, tracks, alerts, zones) and auditors.

Times in and out are epoch seconds (UTC), as in the Repository protocol; they
are compared as timestamptz in SQL so the (container_id, ts) indexes and
partition pruning apply. Every query is served by an index or a small table:
positions and zone presence are kept up to date by the sink.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
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
from store.base import (
    AlertRow,
    AlertStatus,
    DeadLetter,
    DwellStats,
    Position,
    StoredRecord,
    TriageEntry,
    ZoneOccupancy,
)
from store.postgres.connect import Connected

_reading = msgspec.json.Decoder(Reading)
_rfid = msgspec.json.Decoder(RfidRead)
_event = msgspec.json.Decoder(GeofenceEvent)
_alert = msgspec.json.Decoder(Alert)
_plan = msgspec.json.Decoder(VoyagePlan)
_anchor = msgspec.json.Decoder(AnchorReceipt)
_proof = msgspec.json.Decoder(Proof)

_FIRST, _LAST = datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC)
_TABLES = (
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


def when(epoch_s: float) -> datetime:
    """Epoch seconds as a timestamptz parameter; +-inf and out-of-range values clamp to year 1 / 9999."""
    if epoch_s <= _FIRST.timestamp():
        return _FIRST
    if epoch_s >= _LAST.timestamp():
        return _LAST
    return datetime.fromtimestamp(epoch_s, UTC)


def position_of(row: tuple[Any, ...]) -> Position:
    """A ``positions`` row (container, device, reading id, ts, lat, lon, speed, temperature)."""
    c, d, r, t, la, lo, s, te = row
    return Position(
        container_id=c,
        device_id=d,
        reading_id=r,
        ts=t.timestamp(),
        lat=la,
        lon=lo,
        speed_kmh=s,
        temperature_c=te,
    )


class Reads(Connected):
    def get_meta(self, key: str) -> bytes | None:
        rows = self._read(f"reading {key}", "SELECT value FROM meta WHERE key = %s", [key])
        return bytes(rows[0][0]) if rows else None

    def latest_positions(self) -> list[Position]:
        rows = self._read(
            "reading latest positions",
            "SELECT container_id, device_id, reading_id, ts, lat, lon, speed_kmh, temperature_c "
            "FROM positions",
        )
        return [position_of(row) for row in rows]

    def track(self, container_id: str, start: float, end: float, max_points: int = 2000) -> list[Reading]:
        # Every k-th in-order fix plus the last one, k chosen so that at most ~max_points remain.
        rows = self._read(
            f"reading the track of container {container_id}",
            "SELECT body FROM (SELECT body, ts, row_number() OVER (ORDER BY ts) - 1 AS rn, "
            "count(*) OVER () AS n FROM readings "
            "WHERE container_id = %(c)s AND ts BETWEEN %(a)s AND %(b)s AND flag = 0) t "
            "WHERE rn %% greatest(1, (n + %(m)s - 1) / %(m)s) = 0 OR rn = n - 1 ORDER BY ts",
            {"c": container_id, "a": when(start), "b": when(end), "m": max(1, max_points)},
        )
        return [_reading.decode(b) for (b,) in rows]

    def _alert_rows(self, where: str, args: tuple[object, ...], limit: int) -> list[AlertRow]:
        rows = self._read(
            "reading alerts",
            f"SELECT body, status, assignee, updated_ts FROM alerts {where} "
            "ORDER BY severity_rank, ts, alert_id LIMIT %s",
            (*args, limit),
        )
        return [
            AlertRow(alert=_alert.decode(b), status=AlertStatus(s), assignee=a, updated_ts=u)
            for b, s, a, u in rows
        ]

    def alerts(
        self, *, status: AlertStatus | None = None, container_id: str | None = None, limit: int = 500
    ) -> list[AlertRow]:
        # The WHERE clause is built, not "(x IS NULL OR ...)", so the planner always sees an indexable filter.
        clauses, args = [], []
        if status is not None:
            clauses.append("status = %s")
            args.append(status.value)
        if container_id is not None:
            clauses.append("container_id = %s")
            args.append(container_id)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return self._alert_rows(where, tuple(args), limit)

    def triage_log(self, alert_id: str) -> list[TriageEntry]:
        rows = self._read(
            f"reading the triage log of alert {alert_id}",
            "SELECT alert_id, ts, action, operator, note FROM alert_actions WHERE alert_id = %s ORDER BY id",
            [alert_id],
        )
        return [TriageEntry(alert_id=a, ts=t, action=x, operator=o, note=n) for a, t, x, o, n in rows]

    def events(self, container_id: str, start: float = 0.0, end: float = float("inf")) -> list[GeofenceEvent]:
        rows = self._read(
            f"reading geofence events of container {container_id}",
            "SELECT body FROM geofence_events WHERE container_id = %s AND ts BETWEEN %s AND %s ORDER BY ts",
            [container_id, when(start), when(end)],
        )
        return [_event.decode(b) for (b,) in rows]

    def rfid(self, container_id: str) -> list[RfidRead]:
        rows = self._read(
            f"reading RFID reads of container {container_id}",
            "SELECT body FROM rfid_reads WHERE container_id = %s ORDER BY ts",
            [container_id],
        )
        return [_rfid.decode(b) for (b,) in rows]

    def plans(self, container_id: str) -> list[VoyagePlan]:
        rows = self._read(
            f"reading plans of container {container_id}",
            "SELECT body FROM plans WHERE container_id = %s ORDER BY seen_ts",
            [container_id],
        )
        return [_plan.decode(b) for (b,) in rows]

    def dead_letters(self, limit: int = 200) -> list[DeadLetter]:
        rows = self._read(
            "reading dead letters",
            "SELECT id, ts, source, position, record, field, reason, raw, replayed "
            "FROM dead_letters ORDER BY id DESC LIMIT %s",
            [limit],
        )
        return [
            DeadLetter(
                id=i,
                ts=t,
                replayed=rp,
                rejection=Rejection(source=s, position=p, record=rc, field=f, reason=rs, raw=raw),
            )
            for i, t, s, p, rc, f, rs, raw, rp in rows
        ]

    def counts(self) -> dict[str, int]:
        selects = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in _TABLES)
        rows = self._read(
            "counting records",
            f"{selects} UNION ALL SELECT 'open_alerts', count(*) FROM alerts WHERE status <> 'resolved'",
        )
        return {str(name): int(n) for name, n in rows}

    def record(self, record_id: str) -> StoredRecord | None:
        rows = self._read(
            f"reading record {record_id}",
            "SELECT 'reading', body FROM readings WHERE reading_id = %(i)s "
            "UNION ALL SELECT 'rfid', body FROM rfid_reads WHERE rfid_id = %(i)s "
            "UNION ALL SELECT 'geofence', body FROM geofence_events WHERE event_id = %(i)s "
            "UNION ALL SELECT 'alert', body FROM alerts WHERE alert_id = %(i)s LIMIT 1",
            {"i": record_id},
        )
        return StoredRecord(record_id=record_id, kind=rows[0][0], body=bytes(rows[0][1])) if rows else None

    def stored_reading_ids(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        rows = self._read(
            f"looking up {len(ids)} reading ids",
            "SELECT reading_id FROM readings WHERE reading_id = ANY(%s)",
            [list(ids)],
        )
        return {str(i) for (i,) in rows}

    def records_for(self, container_id: str, start: float, end: float) -> list[StoredRecord]:
        where = "WHERE container_id = %(c)s AND ts BETWEEN %(a)s AND %(b)s"
        rows = self._read(
            f"reading the records of container {container_id}",
            f"SELECT id, kind, body FROM ("
            f"SELECT reading_id AS id, 'reading' AS kind, ts, body FROM readings {where} "
            f"UNION ALL SELECT rfid_id, 'rfid', ts, body FROM rfid_reads {where} "
            f"UNION ALL SELECT event_id, 'geofence', ts, body FROM geofence_events {where} "
            f"UNION ALL SELECT alert_id, 'alert', ts, body FROM alerts {where}) t "
            'ORDER BY ts, kind COLLATE "C", id COLLATE "C"',  # byte order, as SQLite sorts
            {"c": container_id, "a": when(start), "b": when(end)},
        )
        return [StoredRecord(record_id=i, kind=k, body=bytes(b)) for i, k, b in rows]

    def zone_occupancy(self) -> list[ZoneOccupancy]:
        rows = self._read(
            "reading zone occupancy",
            "SELECT zone_id, min(zone_type), count(*) AS n FROM zone_presence WHERE inside "
            'GROUP BY zone_id ORDER BY n DESC, zone_id COLLATE "C"',
        )
        return [ZoneOccupancy(zone_id=z, zone_type=ZoneType(t), containers=int(n)) for z, t, n in rows]

    def dwell_stats(
        self, start: float = 0.0, end: float = float("inf"), *, zone_id: str | None = None
    ) -> list[DwellStats]:
        zone = "AND zone_id = %(z)s " if zone_id is not None else ""
        rows = self._read(
            "reading dwell statistics",
            "SELECT zone_id, min(zone_type), count(*), avg(dwell_s), "
            "percentile_disc(0.5) WITHIN GROUP (ORDER BY dwell_s), "
            "percentile_disc(0.95) WITHIN GROUP (ORDER BY dwell_s), max(dwell_s) "
            "FROM geofence_events WHERE kind = 'exit' AND dwell_s IS NOT NULL AND ts BETWEEN %(a)s AND %(b)s "
            f'{zone}GROUP BY zone_id ORDER BY zone_id COLLATE "C"',
            {"a": when(start), "b": when(end), "z": zone_id},
        )
        return [
            DwellStats(
                zone_id=z,
                zone_type=ZoneType(t),
                visits=int(n),
                mean_s=float(mean),
                p50_s=float(p50),
                p95_s=float(p95),
                max_s=float(mx),
            )
            for z, t, n, mean, p50, p95, mx in rows
        ]

    def proof(self, record_id: str) -> Proof | None:
        rows = self._read(
            f"reading the proof of record {record_id}",
            "SELECT body FROM proofs WHERE record_id = %s",
            [record_id],
        )
        return _proof.decode(rows[0][0]) if rows else None

    def anchor(self, batch_id: str) -> AnchorReceipt | None:
        rows = self._read(
            f"reading anchor {batch_id}", "SELECT body FROM anchors WHERE batch_id = %s", [batch_id]
        )
        return _anchor.decode(rows[0][0]) if rows else None

    def anchors(self, stream: str | None = None, limit: int = 1000) -> list[AnchorReceipt]:
        where, args = ("WHERE stream = %s ", [stream]) if stream else ("", [])
        rows = self._read(
            "reading anchors", f"SELECT body FROM anchors {where}ORDER BY first_ts LIMIT %s", [*args, limit]
        )
        return [_anchor.decode(b) for (b,) in rows]
