-- Reminders as rows (the scheduler claims the due ones by next_due), their deliveries,
-- the person's reminder settings, daily check-in answers and the self-care plan.

CREATE TABLE reminders (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,            -- hydration | sleep | caffeine | stress | journal | checkin
    slot        INTEGER NOT NULL DEFAULT 0,  -- hydration has several a day
    minute      INTEGER NOT NULL CHECK (minute BETWEEN 0 AND 1439),  -- local time of day
    weekday     INTEGER CHECK (weekday IS NULL OR weekday BETWEEN 0 AND 6),  -- weekly ones: 0 = Monday
    enabled     INTEGER NOT NULL DEFAULT 1,
    custom      INTEGER NOT NULL DEFAULT 0,  -- 1: the person chose the time (a new bedtime leaves it)
    once        INTEGER NOT NULL DEFAULT 0,  -- 1: a snoozed copy, sent once at next_due
    next_due    INTEGER                      -- unix seconds, UTC; NULL when off
);
CREATE INDEX reminders_due ON reminders(next_due) WHERE next_due IS NOT NULL;
CREATE UNIQUE INDEX reminders_user_kind ON reminders(user_id, kind, slot) WHERE once = 0;
CREATE INDEX reminders_user ON reminders(user_id);  -- /forget's cascade and per-person changes

-- One row per reminder and due time, written before the send: never twice, never lost.
CREATE TABLE deliveries (
    id           INTEGER PRIMARY KEY,
    reminder_id  INTEGER NOT NULL,           -- no FK: the row outlives a snoozed copy
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    due_at       INTEGER NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'claimed',  -- claimed | sending | sent | failed | blocked | unreachable | expired
    UNIQUE (reminder_id, due_at)
);
CREATE INDEX deliveries_claimed ON deliveries(due_at) WHERE status = 'claimed';
CREATE INDEX deliveries_user ON deliveries(user_id);

CREATE TABLE reminder_settings (
    user_id       INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    wake          INTEGER,                   -- minutes after midnight, local
    bedtime       INTEGER,
    quiet_start   INTEGER,                   -- no reminders from quiet_start to quiet_end
    quiet_end     INTEGER,
    paused_until  INTEGER                    -- unix seconds
);

-- Answers to reminder buttons: cups of coffee, glasses of water, hours slept, stress 1-5.
CREATE TABLE checkins (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day         TEXT    NOT NULL,            -- local date YYYY-MM-DD the answer is about
    kind        TEXT    NOT NULL CHECK (kind IN ('cups', 'glasses', 'sleep_hours', 'stress')),
    value       INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, day, kind)
) WITHOUT ROWID;

CREATE TABLE plans (
    user_id         INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    started_at      INTEGER NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'active',  -- active | stopped | done
    caffeine_start  INTEGER,                 -- cups a day when the plan started
    weeks_checked   INTEGER NOT NULL DEFAULT 0,
    ended_at        INTEGER
);
