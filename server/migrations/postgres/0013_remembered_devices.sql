-- PostgreSQL twin of ../sqlite/0013_remembered_devices.sql: browsers where the password alone
-- completes a sign-in to the account (see the SQLite twin). Only a hash of the cookie's secret
-- is kept.
CREATE TABLE remembered_devices (
    id             BIGSERIAL PRIMARY KEY,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash     TEXT   NOT NULL UNIQUE,
    handle         TEXT   NOT NULL UNIQUE,
    user_agent     TEXT,
    client_address TEXT,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX remembered_devices_by_user ON remembered_devices (user_id);
