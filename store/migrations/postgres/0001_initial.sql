-- cargotrail PostgreSQL store, schema 1: everything but the time layout of
-- readings and geofence events (0002, generated: TimescaleDB or partitioning).
-- Device times are timestamptz; wall-clock bookkeeping times (triage, dead
-- letters, plans seen) stay epoch seconds as in the SQLite store. ``body`` keeps
-- each record exactly as received (msgspec JSON) so an auditor can re-hash it.
-- Needs PostGIS (created by deploy/postgres/up.sh, or present in the image).

CREATE TABLE positions (
    container_id  text PRIMARY KEY,
    device_id     text NOT NULL,
    reading_id    text NOT NULL,
    ts            timestamptz NOT NULL,
    lat           double precision NOT NULL,
    lon           double precision NOT NULL,
    speed_kmh     double precision,
    temperature_c double precision,
    geom          geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED
);
CREATE INDEX positions_geom ON positions USING gist (geom);

-- The latest state of each (container, zone): kept by the sink from geofence
-- events so that "occupancy now" never scans the event history.
CREATE TABLE zone_presence (
    container_id text NOT NULL,
    zone_id      text NOT NULL,
    zone_type    text NOT NULL,
    inside       boolean NOT NULL,
    ts           timestamptz NOT NULL,
    PRIMARY KEY (container_id, zone_id)
);
CREATE INDEX zone_presence_inside ON zone_presence (zone_id) WHERE inside;

-- Geofences for zone queries from SQL (PostGIS), loaded with PostgresStore.put_zones.
CREATE TABLE zones (
    zone_id       text PRIMARY KEY,
    name          text NOT NULL,
    zone_type     text NOT NULL,
    dwell_limit_s double precision,
    locode        text,
    geom          geometry(Geometry, 4326) NOT NULL
);
CREATE INDEX zones_geom ON zones USING gist (geom);

-- Which container is in which zone now, by position (e.g. WHERE zone_id = 'NLRTM').
CREATE VIEW containers_in_zones AS
SELECT z.zone_id, z.zone_type, p.container_id, p.device_id, p.reading_id, p.ts, p.lat, p.lon
FROM zones z JOIN positions p ON ST_Intersects(z.geom, p.geom);

CREATE TABLE rfid_reads (
    rfid_id      text PRIMARY KEY,
    container_id text NOT NULL,
    reader_id    text NOT NULL,
    read_point   text NOT NULL,
    biz_step     text NOT NULL,
    ts           timestamptz NOT NULL,
    body         bytea NOT NULL
);
CREATE INDEX rfid_container_ts ON rfid_reads (container_id, ts);

CREATE TABLE alerts (
    alert_id      text PRIMARY KEY,
    kind          text NOT NULL,
    severity      text NOT NULL,
    severity_rank smallint NOT NULL,
    container_id  text NOT NULL,
    ts            timestamptz NOT NULL,
    lat           double precision,
    lon           double precision,
    summary       text NOT NULL,
    status        text NOT NULL DEFAULT 'open',
    assignee      text,
    updated_ts    double precision,
    body          bytea NOT NULL
);
CREATE INDEX alerts_status ON alerts (status, severity_rank, ts);
CREATE INDEX alerts_container ON alerts (container_id, ts);

CREATE TABLE alert_actions (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id text NOT NULL REFERENCES alerts (alert_id),
    ts       double precision NOT NULL,
    action   text NOT NULL,
    operator text NOT NULL,
    note     text NOT NULL DEFAULT ''
);
CREATE INDEX alert_actions_alert ON alert_actions (alert_id, id);

CREATE TABLE plans (
    plan_id         text PRIMARY KEY,
    container_id    text NOT NULL,
    origin          text NOT NULL,
    destination     text NOT NULL,
    container_class text NOT NULL,
    seen_ts         double precision NOT NULL,
    body            bytea NOT NULL
);
CREATE INDEX plans_container ON plans (container_id, seen_ts);

-- dedupe_key: a hash of the whole rejection, so a micro-batch retried after an
-- outage does not store its dead letters twice.
CREATE TABLE dead_letters (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedupe_key text NOT NULL UNIQUE,
    ts         double precision NOT NULL,
    source     text NOT NULL,
    position   integer NOT NULL,
    record     text NOT NULL,
    field      text NOT NULL,
    reason     text NOT NULL,
    raw        text NOT NULL,
    replayed   boolean NOT NULL DEFAULT false
);

CREATE TABLE anchors (
    batch_id  text PRIMARY KEY,
    stream    text NOT NULL,
    root      text NOT NULL,
    size      integer NOT NULL,
    first_ts  timestamptz NOT NULL,
    last_ts   timestamptz NOT NULL,
    prev_root text NOT NULL,
    ledger    text NOT NULL,
    tx_id     text NOT NULL,
    block     bigint,
    body      bytea NOT NULL
);
CREATE INDEX anchors_stream_ts ON anchors (stream, first_ts);

CREATE TABLE proofs (
    record_id  text PRIMARY KEY,
    batch_id   text NOT NULL,
    leaf_index integer NOT NULL,
    body       bytea NOT NULL
);
CREATE INDEX proofs_batch ON proofs (batch_id, leaf_index);

CREATE TABLE meta (
    key   text PRIMARY KEY,
    value bytea NOT NULL
);
