-- Liveness of long-running parts (the scheduler tick), read by `flicker health`.
-- Holds no personal data.
CREATE TABLE heartbeat (
    name  TEXT PRIMARY KEY,
    at    INTEGER NOT NULL      -- unix seconds, UTC
);
