-- Geofences edited in the control tower (admins), and the audit log of every change with who made it.
CREATE TABLE zones (
    zone_id       TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    zone_type     TEXT NOT NULL,
    dwell_limit_s REAL,
    locode        TEXT,
    geom          BLOB NOT NULL,   -- WKB, lon/lat (WGS 84)
    properties    TEXT NOT NULL    -- JSON: the properties without a column (radius_m, width_m, ...)
);

CREATE TABLE zone_changes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    zone_id   TEXT NOT NULL,
    ts        REAL NOT NULL,
    action    TEXT NOT NULL,       -- created | updated | deleted
    operator  TEXT NOT NULL,
    feature   TEXT NOT NULL,       -- GeoJSON Feature as saved (as it was, for a deletion)
    note      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX zone_changes_zone ON zone_changes (zone_id, id);
