-- Authorization codes are sealed and carried by the client instead of stored (`openid::codes`).
-- The key they are sealed with is random, kept here sealed with the TOTP encryption key (one
-- row, shared by every instance): forging a code takes the database as well as that key.
-- Single use stays with the database: the access token a code is exchanged for records the
-- code's hash, unique, so a code is exchanged once; the row stays (as kind 'revoked') when its
-- grant is revoked, until it expires.
DROP TABLE oidc_codes;
CREATE TABLE oidc_code_key (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    sealed_key BLOB    NOT NULL
);
ALTER TABLE oidc_tokens ADD COLUMN from_code TEXT;
CREATE UNIQUE INDEX oidc_tokens_by_code ON oidc_tokens (from_code);
