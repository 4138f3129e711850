-- Several replicas on one database. The Telegram inbox records whose update each row is, so
-- one person's updates are handled in update_id order whichever replica received them; and
-- the flood limit counts each person's messages in the database, across replicas.
ALTER TABLE telegram_inbox ADD COLUMN person TEXT;
CREATE INDEX telegram_inbox_person ON telegram_inbox(person, update_id) WHERE status != 'done';

-- Which replica claimed a reminder's delivery (its heartbeat name): when a replica dies, another
-- takes over its claims once its heartbeat stops, and leaves the live ones' alone.
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;

CREATE TABLE flood_counts (
    platform      TEXT    NOT NULL,
    external_id   TEXT    NOT NULL,
    window_start  INTEGER NOT NULL,          -- unix seconds, UTC: the start of a fixed window
    count         INTEGER NOT NULL,
    PRIMARY KEY (platform, external_id, window_start)
);
CREATE INDEX flood_counts_window ON flood_counts(window_start);
