-- The live feed's change log (store/base.py ``changes_after``), kept by triggers: one row per
-- changed thing (a container's position, a geofence event, an alert), renumbered each time it
-- changes, so a reader after a cursor gets each thing once, in its newest state. SQLite commits
-- one writer at a time and AUTOINCREMENT never reuses a number, so numbers follow commit order.
-- (DELETE then INSERT, not INSERT OR REPLACE: an upsert that fires a trigger imposes its own
-- conflict policy on the trigger's statements.) Rows stored before this migration have no entry
-- and are never pushed.
CREATE TABLE live_changes (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,  -- position | geofence | alert
    key  TEXT NOT NULL,  -- container id | event id | alert id
    UNIQUE (kind, key)
);

CREATE TRIGGER positions_live_insert AFTER INSERT ON positions BEGIN
    DELETE FROM live_changes WHERE kind = 'position' AND key = NEW.container_id;
    INSERT INTO live_changes (kind, key) VALUES ('position', NEW.container_id);
END;
CREATE TRIGGER positions_live_update AFTER UPDATE OF ts, lat, lon ON positions BEGIN
    DELETE FROM live_changes WHERE kind = 'position' AND key = NEW.container_id;
    INSERT INTO live_changes (kind, key) VALUES ('position', NEW.container_id);
END;
CREATE TRIGGER geofence_events_live_insert AFTER INSERT ON geofence_events BEGIN
    DELETE FROM live_changes WHERE kind = 'geofence' AND key = NEW.event_id;
    INSERT INTO live_changes (kind, key) VALUES ('geofence', NEW.event_id);
END;
CREATE TRIGGER alerts_live_insert AFTER INSERT ON alerts BEGIN
    DELETE FROM live_changes WHERE kind = 'alert' AND key = NEW.alert_id;
    INSERT INTO live_changes (kind, key) VALUES ('alert', NEW.alert_id);
END;
CREATE TRIGGER alerts_live_triage AFTER UPDATE OF status, assignee, updated_ts ON alerts BEGIN
    DELETE FROM live_changes WHERE kind = 'alert' AND key = NEW.alert_id;
    INSERT INTO live_changes (kind, key) VALUES ('alert', NEW.alert_id);
END;
