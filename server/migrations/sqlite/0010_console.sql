-- The operator's console and invitations (docs/contract/console.md). Times are Unix seconds.

-- A disabled account cannot sign in; disabling it also raises its session epoch and revokes
-- its apps' tokens, so every way in ends at once. NULL: enabled.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
-- An invitation may require its account to turn on two-factor authentication before anything
-- else: until it is on, every signed-in page leads to its setup. 1: required.
ALTER TABLE users ADD COLUMN two_factor_required INTEGER NOT NULL DEFAULT 0;

-- One-time registration links. Only a SHA-256 of the token is kept: the link is shown once.
-- `used_at` spends it, in one conditional statement with the account's creation, so a link is
-- used at most once however many use it at the same moment.
CREATE TABLE invitations (
    id                 TEXT    PRIMARY KEY NOT NULL,
    token_hash         TEXT    NOT NULL UNIQUE,
    groups             TEXT    NOT NULL DEFAULT '',
    require_two_factor INTEGER NOT NULL DEFAULT 0,
    created_by         TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    used_at            INTEGER,
    used_by            TEXT,
    revoked_at         INTEGER
);

-- What operators did, naming the operator (the console's admin, or `command line`).
CREATE TABLE admin_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             INTEGER NOT NULL,
    admin          TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    client_address TEXT
);
CREATE INDEX admin_log_by_time ON admin_log (at);
