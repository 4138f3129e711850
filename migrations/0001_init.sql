-- Core tables: people, their platform identities, journal entries, conversation state.
-- Every table holding a person's data references users(id) ON DELETE CASCADE, so that
-- deleting the user row erases everything (/forget).

CREATE TABLE users (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: an old button must not hit a new row
    timezone    TEXT    NOT NULL DEFAULT 'UTC',
    first_name  TEXT,
    created_at  INTEGER NOT NULL,          -- unix seconds, UTC
    settings    TEXT    NOT NULL DEFAULT '{}'  -- JSON: small per-user preferences
);

CREATE TABLE identities (
    platform     TEXT    NOT NULL,         -- console | telegram | discord
    external_id  TEXT    NOT NULL,         -- the platform's user id
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    chat_id      TEXT,                     -- where to reach the person privately, if known
    last_seen    INTEGER NOT NULL,
    PRIMARY KEY (platform, external_id)
) WITHOUT ROWID;
CREATE INDEX identities_user ON identities(user_id);

CREATE TABLE entries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused (Undo buttons carry ids)
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('twitch', 'note')),
    occurred_at  INTEGER NOT NULL,         -- unix seconds, UTC
    tz           TEXT    NOT NULL,         -- the person's zone when it happened
    region       TEXT,
    side         TEXT,
    duration_s   INTEGER,
    triggers     TEXT    NOT NULL DEFAULT '',  -- comma-separated trigger ids
    intensity    INTEGER CHECK (intensity IS NULL OR intensity BETWEEN 1 AND 5),
    text         TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX entries_user_time ON entries(user_id, occurred_at);

CREATE TABLE conversations (
    user_id     INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    flow        TEXT    NOT NULL,
    step        TEXT    NOT NULL,
    data        TEXT    NOT NULL DEFAULT '{}',
    updated_at  INTEGER NOT NULL
);
