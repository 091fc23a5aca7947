-- Mail (docs/contract/mail.md). Every message goes through `outbox`, written in the same
-- transaction as the event that causes it; a sender task delivers it, with retries, and marks it
-- sent. A row is one message: its `message_id` is the `Message-ID` header, the same on every
-- attempt, so a message is one message however many times delivery is tried.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id      TEXT    NOT NULL UNIQUE,
    recipient       TEXT    NOT NULL,
    -- The subject and body, sealed with the server's key (a reset link is a secret while it
    -- waits), and emptied once delivered.
    sealed          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- A sender working on the row holds it until then (another instance leaves it alone).
    claimed_until   INTEGER,
    sent_at         INTEGER,
    given_up_at     INTEGER,
    last_error      TEXT
);
CREATE INDEX outbox_waiting ON outbox (sent_at, given_up_at, next_attempt_at);

-- The links mail carries: verifying an address, resetting a password. Only the SHA-256 of the
-- token is kept; a link is used once (`used_at`), and only before `expires_at`.
CREATE TABLE email_links (
    token_hash TEXT    PRIMARY KEY NOT NULL,
    purpose    TEXT    NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX email_links_by_account ON email_links (user_id, purpose, created_at);

-- Password reset requests, counted per account and per client address over the last hour.
CREATE TABLE reset_requests (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    subject    TEXT    NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX reset_requests_by_subject ON reset_requests (subject, at);
