-- The companion (issue 14): marked days, what stayed absent, the reassurance guard's memory
-- and the notes a person prepares for an appointment. All rows cascade from users (/forget).

-- A day the person marked: 'none' = "no twitches today" (a quiet day, not a day without
-- logging), 'off' = a day off logging they chose (the journal says so; rates leave it out).
CREATE TABLE day_marks (
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day      TEXT    NOT NULL,               -- local date YYYY-MM-DD
    mark     TEXT    NOT NULL CHECK (mark IN ('none', 'off')),
    at       INTEGER NOT NULL,               -- unix seconds, UTC, when it was marked
    PRIMARY KEY (user_id, day)
) WITHOUT ROWID;

-- Answers to the weekly "what stayed absent" questions: a 'no' is a pertinent negative.
CREATE TABLE absent_answers (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,              -- unix seconds, UTC
    question  TEXT    NOT NULL,              -- weakness | wasting | bulbar
    answer    TEXT    NOT NULL CHECK (answer IN ('no', 'yes', 'unsure'))
);
CREATE INDEX absent_answers_user ON absent_answers(user_id, at);

-- Every occurrence of a repeated worry the guard watches (an FAQ topic, an unchanged triage,
-- a log of the same twitch), and whether the guard answered it.
CREATE TABLE guard_events (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,           -- faq | triage | log
    fingerprint  TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    answered     INTEGER NOT NULL DEFAULT 0  -- 1: the guard's brief answer went out for this one
);
CREATE INDEX guard_events_user ON guard_events(user_id, kind, at);

-- /appointment: what the person wants to say and ask; the report's first page.
CREATE TABLE appointment_notes (
    user_id     INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    worry       TEXT    NOT NULL DEFAULT '',
    changed     TEXT    NOT NULL DEFAULT '',
    questions   TEXT    NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL
);
