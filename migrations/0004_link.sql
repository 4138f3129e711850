-- One-time codes that join two platform identities into one person (/link).
CREATE TABLE link_codes (
    code        TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    platform    TEXT    NOT NULL,          -- where the code was made: it must be used on another
    expires_at  INTEGER NOT NULL           -- unix seconds, UTC
);
CREATE INDEX link_codes_user ON link_codes(user_id);
