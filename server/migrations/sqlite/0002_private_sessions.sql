-- Sessions are kept by a SHA-256 of their id, never the id itself: the cookie value is a bearer
-- token, and a copy of the database or a backup must open no session. The table of
-- tower-sessions' own store (keyed by the id in clear) goes, with the sessions in it: everyone
-- signs in again once after this upgrade.
DROP TABLE IF EXISTS tower_sessions;
CREATE TABLE sessions (
    id_hash    TEXT    PRIMARY KEY NOT NULL,
    -- The session's data (MessagePack): where the visitor stands in the sign-in.
    data       BLOB    NOT NULL,
    -- Unix seconds. A session id is made new at each sign-in step, so `created_at` is the
    -- start of the absolute lifetime; `expires_at` moves with use, never past that lifetime.
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- A setup in progress belongs to the session that started it (`session_binding`: a SHA-256 of a
-- random token that only that session holds): another session of the account neither reads
-- nor replaces it. Setups under way when upgrading are dropped (they last 10 minutes anyway).
DROP TABLE totp_enrollments;
CREATE TABLE totp_enrollments (
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_binding TEXT    NOT NULL,
    secret          BLOB    NOT NULL,
    otp_kind        TEXT    NOT NULL,
    otp_algorithm   TEXT    NOT NULL,
    otp_digits      INTEGER NOT NULL,
    otp_period      INTEGER NOT NULL,
    otp_window      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (user_id, session_binding)
);
