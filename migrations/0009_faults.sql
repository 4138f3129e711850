-- Telegram updates as they arrive, recorded before Telegram is told they were received (the
-- next getUpdates, or the webhook's 200): a crash replays what was not handled, and resends
-- replies that were worked out but not yet sent. A finished update keeps only its id for a
-- day, so a repeated update_id is recognised and skipped.
CREATE TABLE telegram_inbox (
    update_id    INTEGER PRIMARY KEY,
    received_at  INTEGER NOT NULL,           -- unix seconds, UTC
    status       TEXT    NOT NULL DEFAULT 'received',  -- received | handled | done
    body         TEXT,                       -- the update as JSON while not yet handled
    replies      TEXT,                       -- JSON: where to, and the replies still to send
    sent         INTEGER NOT NULL DEFAULT 0  -- replies already delivered
);
CREATE INDEX telegram_inbox_open ON telegram_inbox(status) WHERE status != 'done';

-- Wrong /link codes, counted across every identity (no personal data: the platform account
-- that tried, and when), so guessing is limited globally, per account and per live code
-- (a code stops working once too many wrong guesses were made anywhere during its life).
CREATE TABLE link_attempts (
    at           INTEGER NOT NULL,           -- unix seconds, UTC
    platform     TEXT    NOT NULL,
    external_id  TEXT    NOT NULL
);
CREATE INDEX link_attempts_at ON link_attempts(at);

