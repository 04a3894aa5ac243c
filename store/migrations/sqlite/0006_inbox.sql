-- Durable inboxes (store/base.py ``inbox_add``): what a runtime acknowledged or stored but has not
-- finished with, kept until it is done. Box ``embedded``: every input step of the embedded runtime
-- (micro-batches of valid readings, zone swaps), replayed at start to rebuild its state.
-- Box ``anchoring:<stream>``: the records added to the open anchor batch, dropped once anchored
-- (``mark``: the count of records added up to the entry's last one). What is left at a start is
-- taken up again, in order.
CREATE TABLE inbox (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    box  TEXT NOT NULL,
    mark REAL NOT NULL,
    body BLOB NOT NULL  -- msgpack-encoded by its writer
);
CREATE INDEX inbox_done ON inbox (box, mark);
