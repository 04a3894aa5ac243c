-- cargotrail embedded store, schema 1. Times are epoch seconds (REAL) for
-- queries; ``body`` keeps each record exactly as received (msgspec JSON) so an
-- auditor can recompute its canonical bytes and leaf hash.
CREATE TABLE readings (
    reading_id    TEXT PRIMARY KEY,
    container_id  TEXT NOT NULL,
    device_id     TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    ts            REAL NOT NULL,
    lat           REAL NOT NULL,
    lon           REAL NOT NULL,
    speed_kmh     REAL,
    temperature_c REAL,
    shock_g       REAL,
    door_open     INTEGER,
    battery_pct   REAL,
    source        TEXT NOT NULL,
    flag          INTEGER NOT NULL DEFAULT 0,  -- 0 in order, 1 late, 2 GPS jump
    body          BLOB NOT NULL
);
CREATE INDEX readings_container_ts ON readings (container_id, ts);
CREATE INDEX readings_ts ON readings (ts);

CREATE TABLE positions (
    container_id TEXT PRIMARY KEY,
    device_id    TEXT NOT NULL,
    reading_id   TEXT NOT NULL,
    ts           REAL NOT NULL,
    lat          REAL NOT NULL,
    lon          REAL NOT NULL,
    speed_kmh    REAL,
    temperature_c REAL
);

CREATE TABLE rfid_reads (
    rfid_id      TEXT PRIMARY KEY,
    container_id TEXT NOT NULL,
    reader_id    TEXT NOT NULL,
    read_point   TEXT NOT NULL,
    biz_step     TEXT NOT NULL,
    ts           REAL NOT NULL,
    body         BLOB NOT NULL
);
CREATE INDEX rfid_container_ts ON rfid_reads (container_id, ts);

CREATE TABLE geofence_events (
    event_id     TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    container_id TEXT NOT NULL,
    zone_id      TEXT NOT NULL,
    zone_type    TEXT NOT NULL,
    ts           REAL NOT NULL,
    body         BLOB NOT NULL
);
CREATE INDEX events_container_ts ON geofence_events (container_id, ts);
CREATE INDEX events_zone_ts ON geofence_events (zone_id, ts);

CREATE TABLE alerts (
    alert_id     TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    severity     TEXT NOT NULL,
    severity_rank INTEGER NOT NULL,
    container_id TEXT NOT NULL,
    ts           REAL NOT NULL,
    lat          REAL,
    lon          REAL,
    summary      TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open',
    assignee     TEXT,
    updated_ts   REAL,
    body         BLOB NOT NULL
);
CREATE INDEX alerts_status ON alerts (status, severity_rank, ts);
CREATE INDEX alerts_container ON alerts (container_id, ts);

CREATE TABLE alert_actions (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id  TEXT NOT NULL REFERENCES alerts (alert_id),
    ts        REAL NOT NULL,
    action    TEXT NOT NULL,
    operator  TEXT NOT NULL,
    note      TEXT NOT NULL DEFAULT ''
);

CREATE TABLE plans (
    plan_id      TEXT PRIMARY KEY,
    container_id TEXT NOT NULL,
    origin       TEXT NOT NULL,
    destination  TEXT NOT NULL,
    container_class TEXT NOT NULL,
    seen_ts      REAL NOT NULL,
    body         BLOB NOT NULL
);
CREATE INDEX plans_container ON plans (container_id, seen_ts);

CREATE TABLE dead_letters (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    ts        REAL NOT NULL,
    source    TEXT NOT NULL,
    position  INTEGER NOT NULL,
    record    TEXT NOT NULL,
    field     TEXT NOT NULL,
    reason    TEXT NOT NULL,
    raw       TEXT NOT NULL,
    replayed  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE anchors (
    batch_id  TEXT PRIMARY KEY,
    stream    TEXT NOT NULL,
    root      TEXT NOT NULL,
    size      INTEGER NOT NULL,
    first_ts  REAL NOT NULL,
    last_ts   REAL NOT NULL,
    prev_root TEXT NOT NULL,
    ledger    TEXT NOT NULL,
    tx_id     TEXT NOT NULL,
    block     INTEGER,
    body      BLOB NOT NULL
);
CREATE INDEX anchors_stream_ts ON anchors (stream, first_ts);

-- Proofs are stored per batch, compactly: its record ids (32 ASCII bytes each) and
-- its leaf hashes (32 bytes each), in leaf order. A record's batch is found from
-- its device time (a batch spans [first_ts, last_ts] of its records) and its index
-- in the ids; the inclusion proof is recomputed from the leaves. A row per record
-- would cost more to write than hashing the record, and the ledger root is what
-- an auditor checks a proof against anyway.
CREATE TABLE batch_leaves (
    batch_id   TEXT PRIMARY KEY,
    first_ts   REAL NOT NULL,
    last_ts    REAL NOT NULL,
    leaves     BLOB NOT NULL,
    record_ids BLOB NOT NULL
);
CREATE INDEX batch_leaves_span ON batch_leaves (first_ts, last_ts);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
