-- Security keys (WebAuthn) as a second factor (API.md, "Security keys").
-- Times are Unix seconds.

-- The account's WebAuthn user handle: random, made with its first key (never the row id, which
-- SQLite may hand out again).
ALTER TABLE users ADD COLUMN webauthn_handle TEXT;

-- An account's keys. `credential` is the webauthn-rs `SecurityKey` as JSON: the credential id,
-- its public key and signature counter (public data: nothing here signs anything).
CREATE TABLE security_keys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    credential_id TEXT    NOT NULL UNIQUE,
    credential    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);
CREATE INDEX security_keys_by_user ON security_keys (user_id);

-- A ceremony between its two requests (the challenge sent, the answer not yet checked): kept
-- here so any instance can finish it, taken out by the answer (single use), 5 minutes at most.
-- `state` is webauthn-rs's ceremony state as JSON; it never leaves the server.
CREATE TABLE webauthn_ceremonies (
    ceremony_hash TEXT    PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose       TEXT    NOT NULL,
    key_name      TEXT,
    state         TEXT    NOT NULL,
    expires_at    INTEGER NOT NULL
);

-- Which key an event was about (key added, removed, used), by its name at the time.
ALTER TABLE security_events ADD COLUMN key_name TEXT;
