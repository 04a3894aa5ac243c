-- The live feed's change log (store/base.py ``changes_after``), kept by triggers: one row per
-- changed thing (a container's position, a geofence event, an alert), renumbered each time it
-- changes, so a reader after a cursor gets each thing once, in its newest state.
-- A sequence number is taken before its transaction commits, so alone it would let a reader skip
-- a change whose transaction commits late: each entry also records its transaction id, and
-- readers take only entries of transactions below the snapshot's xmin (all of them have ended),
-- ordered by (transaction id, number). Rows stored before this migration are never pushed.
CREATE SEQUENCE live_change_numbers;
CREATE TABLE live_changes (
    kind text NOT NULL,  -- position | geofence | alert
    key  text NOT NULL,  -- container id | event id | alert id
    txid xid8 NOT NULL,
    seq  bigint NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX live_changes_order ON live_changes (txid, seq);

CREATE FUNCTION live_change(text, text) RETURNS void LANGUAGE sql
    SET search_path FROM CURRENT AS $$
    INSERT INTO live_changes VALUES ($1, $2, pg_current_xact_id(), nextval('live_change_numbers'))
    ON CONFLICT (kind, key) DO UPDATE SET txid = excluded.txid, seq = excluded.seq
$$;
CREATE FUNCTION live_position() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN PERFORM live_change('position', NEW.container_id); RETURN NULL; END $$;
CREATE FUNCTION live_event() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN PERFORM live_change('geofence', NEW.event_id); RETURN NULL; END $$;
CREATE FUNCTION live_alert() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN PERFORM live_change('alert', NEW.alert_id); RETURN NULL; END $$;

CREATE TRIGGER positions_live AFTER INSERT OR UPDATE OF ts, lat, lon ON positions
    FOR EACH ROW EXECUTE FUNCTION live_position();
CREATE TRIGGER geofence_events_live AFTER INSERT ON geofence_events
    FOR EACH ROW EXECUTE FUNCTION live_event();
CREATE TRIGGER alerts_live AFTER INSERT OR UPDATE OF status, assignee, updated_ts ON alerts
    FOR EACH ROW EXECUTE FUNCTION live_alert();
