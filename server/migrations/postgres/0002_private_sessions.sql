-- PostgreSQL twin of ../sqlite/0002_private_sessions.sql.
-- Sessions are kept by a SHA-256 of their id, never the id itself: the cookie value is a bearer
-- token, and a copy of the database or a backup must open no session. The table of
-- tower-sessions' own store (keyed by the id in clear) goes, with the sessions in it: everyone
-- signs in again once after this upgrade.
DROP TABLE IF EXISTS tower_sessions.session;
DROP SCHEMA IF EXISTS tower_sessions;
CREATE TABLE sessions (
    id_hash    TEXT   PRIMARY KEY NOT NULL,
    data       BYTEA  NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- A setup in progress belongs to the session that started it (see the SQLite twin).
DROP TABLE totp_enrollments;
CREATE TABLE totp_enrollments (
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_binding TEXT   NOT NULL,
    secret          BYTEA  NOT NULL,
    otp_kind        TEXT   NOT NULL,
    otp_algorithm   TEXT   NOT NULL,
    otp_digits      BIGINT NOT NULL,
    otp_period      BIGINT NOT NULL,
    otp_window      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (user_id, session_binding)
);
