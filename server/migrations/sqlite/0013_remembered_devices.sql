-- Remembered devices: a browser where the account's owner, after a full sign-in with two
-- factors, ticked "Don't ask again on this device". On that browser, for that account, the
-- password alone then completes a sign-in (amr `pwd remembered`) until `expires_at`.
--
-- The browser holds a sealed cookie naming the account and a random secret; this table keeps
-- only `token_hash`, the SHA-256 of that secret (a copy of the table opens nothing).
-- `handle`: what "Forget" on /account/sessions sends back, derived one-way from the hash; it is
-- looked up among the asking account's own devices only.
-- `user_agent` (at most 200 characters) and `client_address`: the browser and address that
-- asked to be remembered. Times are Unix seconds; `last_used_at` moves at each sign-in it
-- completes. Every device of an account is deleted when its 2FA is turned off or reset, when
-- its other sessions (or all of them) are ended, when it is disabled, and with the account.
CREATE TABLE remembered_devices (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash     TEXT    NOT NULL UNIQUE,
    handle         TEXT    NOT NULL UNIQUE,
    user_agent     TEXT,
    client_address TEXT,
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
);
CREATE INDEX remembered_devices_by_user ON remembered_devices (user_id);
