-- Passkeys (docs/contract/security-keys.md): a key made as a discoverable credential with user
-- verification, which signs in alone (no username, no password). Kept beside the security keys,
-- in the same form (the webauthn-rs credential); 1 marks a passkey.
ALTER TABLE security_keys ADD COLUMN passkey INTEGER NOT NULL DEFAULT 0;

-- A passkey sign-in's challenge, between its two requests: no account is known until the answer
-- names one, so it is kept apart from `webauthn_ceremonies` (whose rows belong to an account).
CREATE TABLE passkey_sign_ins (
    ceremony_hash TEXT    PRIMARY KEY NOT NULL,
    state         TEXT    NOT NULL,
    expires_at    INTEGER NOT NULL
);
