-- PostgreSQL twin of migrations/0009_faults.sql: Telegram updates recorded before they are acknowledged,
-- and wrong /link codes counted across every identity.
CREATE TABLE telegram_inbox (
    update_id    BIGINT  PRIMARY KEY,        -- Telegram's own id, always given: no identity
    received_at  BIGINT  NOT NULL,           -- unix seconds, UTC
    status       TEXT    NOT NULL DEFAULT 'received',  -- received | handled | done
    body         TEXT,                       -- the update as JSON while not yet handled
    replies      TEXT,                       -- JSON: where to, and the replies still to send
    sent         INTEGER NOT NULL DEFAULT 0  -- replies already delivered
);
CREATE INDEX telegram_inbox_open ON telegram_inbox(status) WHERE status != 'done';

CREATE TABLE link_attempts (
    at           BIGINT  NOT NULL,           -- unix seconds, UTC
    platform     TEXT    NOT NULL,
    external_id  TEXT    NOT NULL
);
CREATE INDEX link_attempts_at ON link_attempts(at);
