-- Triage results (with the answers, reasons and rules version they came from) and the lines
-- of the journal the bot has already pointed out (so it suggests /triage once, not on every log).

CREATE TABLE triage_results (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at             INTEGER NOT NULL,         -- unix seconds, UTC
    level          TEXT    NOT NULL,
    reasons        TEXT    NOT NULL,         -- JSON [{source, text}]
    answers        TEXT    NOT NULL,         -- JSON {question id: answer id}
    unsure         TEXT    NOT NULL DEFAULT '[]',
    rules_version  TEXT    NOT NULL
);
CREATE INDEX triage_results_user ON triage_results(user_id, at);

CREATE TABLE triage_flags (
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    flag     TEXT    NOT NULL,               -- long | groups | spreading
    at       INTEGER NOT NULL,
    PRIMARY KEY (user_id, flag)
) WITHOUT ROWID;
