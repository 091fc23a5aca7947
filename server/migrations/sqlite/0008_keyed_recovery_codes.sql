-- Recovery codes are kept as HMAC-SHA256(k, SHA-256(salt ‖ code)), k derived from the TOTP
-- encryption key, so a copy of the database alone gives nothing to test a guess against.
-- `hash_version` tells the forms apart: 0 is SHA-256(salt ‖ code) alone, as rows were stored
-- before; 1 the keyed form. The key is not known here: the server brings version 0 rows to
-- version 1 when it starts (`storage::accounts::key_unkeyed_recovery_codes`).
ALTER TABLE recovery_codes ADD COLUMN hash_version INTEGER NOT NULL DEFAULT 0;
