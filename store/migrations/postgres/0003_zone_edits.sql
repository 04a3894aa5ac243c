-- Zones edited in the control tower keep all their properties, and every change is logged with who made it.
ALTER TABLE zones ADD COLUMN properties jsonb NOT NULL DEFAULT '{}'::jsonb;

CREATE TABLE zone_changes (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    zone_id   text NOT NULL,
    ts        timestamptz NOT NULL,
    action    text NOT NULL,       -- created | updated | deleted
    operator  text NOT NULL,
    feature   jsonb NOT NULL,      -- GeoJSON Feature as saved (as it was, for a deletion)
    note      text NOT NULL DEFAULT ''
);
CREATE INDEX zone_changes_zone ON zone_changes (zone_id, id);
