-- Safety-screen hits: when something a person wrote sounded like an emergency, a crisis or a
-- warning sign. Only the kind of warning is kept, never the words (they stay in the entry, if any).
CREATE TABLE safety_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,          -- unix seconds, UTC
    category  TEXT    NOT NULL,          -- emergency | crisis | urgent_gp | pregnancy | red_flag
    rule      TEXT    NOT NULL,          -- the rule of rules/safety.toml that fired
    entry_id  INTEGER REFERENCES entries(id) ON DELETE SET NULL
);
CREATE INDEX safety_events_user ON safety_events(user_id, at);
