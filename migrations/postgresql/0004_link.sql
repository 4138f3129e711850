-- PostgreSQL twin of migrations/0004_link.sql: one-time codes that join two identities (/link).
CREATE TABLE link_codes (
    code        TEXT    PRIMARY KEY,
    user_id     BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    platform    TEXT    NOT NULL,          -- where the code was made: it must be used on another
    expires_at  BIGINT  NOT NULL           -- unix seconds, UTC
);
CREATE INDEX link_codes_user ON link_codes(user_id);
