-- PostgreSQL twin of ../sqlite/0010_console.sql.

ALTER TABLE users ADD COLUMN disabled_at BIGINT;
-- An invitation may require its account to turn on two-factor authentication before anything
-- else: until it is on, every signed-in page leads to its setup. 1: required.
ALTER TABLE users ADD COLUMN two_factor_required INTEGER NOT NULL DEFAULT 0;

CREATE TABLE invitations (
    id                 TEXT    PRIMARY KEY NOT NULL,
    token_hash         TEXT    NOT NULL UNIQUE,
    groups             TEXT    NOT NULL DEFAULT '',
    require_two_factor INTEGER NOT NULL DEFAULT 0,
    created_by         TEXT    NOT NULL,
    created_at         BIGINT  NOT NULL,
    expires_at         BIGINT  NOT NULL,
    used_at            BIGINT,
    used_by            TEXT,
    revoked_at         BIGINT
);

CREATE TABLE admin_log (
    id             BIGSERIAL PRIMARY KEY,
    at             BIGINT  NOT NULL,
    admin          TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    client_address TEXT
);
CREATE INDEX admin_log_by_time ON admin_log (at);
