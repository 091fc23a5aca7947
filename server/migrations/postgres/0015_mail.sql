-- PostgreSQL twin of ../sqlite/0015_mail.sql.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    message_id      TEXT    NOT NULL UNIQUE,
    recipient       TEXT    NOT NULL,
    sealed          TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    next_attempt_at BIGINT  NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    claimed_until   BIGINT,
    sent_at         BIGINT,
    given_up_at     BIGINT,
    last_error      TEXT
);
CREATE INDEX outbox_waiting ON outbox (sent_at, given_up_at, next_attempt_at);

CREATE TABLE email_links (
    token_hash TEXT    PRIMARY KEY NOT NULL,
    purpose    TEXT    NOT NULL,
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT
);
CREATE INDEX email_links_by_account ON email_links (user_id, purpose, created_at);

CREATE TABLE reset_requests (
    id         BIGSERIAL PRIMARY KEY,
    subject    TEXT    NOT NULL,
    at         BIGINT  NOT NULL
);
CREATE INDEX reset_requests_by_subject ON reset_requests (subject, at);
