-- PostgreSQL twin of migrations/0005_heartbeat.sql: liveness of long-running parts. No personal data.
CREATE TABLE heartbeat (
    name  TEXT   PRIMARY KEY,
    at    BIGINT NOT NULL      -- unix seconds, UTC
);
