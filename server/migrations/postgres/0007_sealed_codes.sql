-- Authorization codes are sealed and carried by the client instead of stored (`openid::codes`).
-- Single use stays with the database: the access token a code is exchanged for records the
-- code's hash, unique, so a code is exchanged once; the row stays (as kind 'revoked') when its
-- grant is revoked, until it expires.
DROP TABLE oidc_codes;
ALTER TABLE oidc_tokens ADD COLUMN from_code TEXT;
CREATE UNIQUE INDEX oidc_tokens_by_code ON oidc_tokens (from_code);
