-- PostgreSQL twin of ../sqlite/0014_passkeys.sql.
ALTER TABLE security_keys ADD COLUMN passkey INTEGER NOT NULL DEFAULT 0;

CREATE TABLE passkey_sign_ins (
    ceremony_hash TEXT    PRIMARY KEY NOT NULL,
    state         TEXT    NOT NULL,
    expires_at    BIGINT  NOT NULL
);
