-- PostgreSQL twin of ../sqlite/0005_openid_connect.sql: the same tables, in PostgreSQL types.
-- Times are Unix seconds. Nothing stored here opens anything by itself: private keys are sealed
-- like the TOTP keys, and client secrets, codes and tokens are kept as SHA-256 hashes.

-- The ID-token signing keys (RSA, PKCS#8 DER, sealed). The newest signs; all are published.
CREATE TABLE oidc_signing_keys (
    kid         TEXT    PRIMARY KEY,
    sealed_key  BYTEA   NOT NULL,
    created_at  BIGINT  NOT NULL
);

-- The apps, registered by the operator (`server oidc client add`). URIs are newline-separated.
CREATE TABLE oidc_clients (
    client_id     TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL,
    secret_hash   TEXT,
    redirect_uris TEXT    NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL DEFAULT '',
    policy        TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL
);

-- Authorization codes: single-use (`used_at`), 60 s, bound to the client, the redirect URI and
-- the PKCE challenge. A grant is what one code led to: its tokens carry its id, so a second use
-- of the code revokes them.
CREATE TABLE oidc_codes (
    code_hash      TEXT    PRIMARY KEY,
    grant_id       TEXT    NOT NULL,
    client_id      TEXT    NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri   TEXT    NOT NULL,
    scope          TEXT    NOT NULL,
    nonce          TEXT,
    code_challenge TEXT,
    auth_time      BIGINT  NOT NULL,
    amr            TEXT    NOT NULL,
    expires_at     BIGINT  NOT NULL,
    used_at        BIGINT 
);

-- Access and refresh tokens. A refresh token is used once (`used_at`); using a used one again
-- revokes its whole grant (RFC 9700).
CREATE TABLE oidc_tokens (
    token_hash  TEXT    PRIMARY KEY,
    kind        TEXT    NOT NULL,
    grant_id    TEXT    NOT NULL,
    client_id   TEXT    NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope       TEXT    NOT NULL,
    auth_time   BIGINT  NOT NULL,
    amr         TEXT    NOT NULL,
    expires_at  BIGINT  NOT NULL,
    used_at     BIGINT 
);
CREATE INDEX oidc_tokens_by_grant ON oidc_tokens (grant_id);
CREATE INDEX oidc_tokens_by_user ON oidc_tokens (user_id);
CREATE INDEX oidc_codes_by_grant ON oidc_codes (grant_id);

-- The subject (`sub`) apps know an account by: random, made on first use, never reused.
ALTER TABLE users ADD COLUMN oidc_subject TEXT;
CREATE UNIQUE INDEX users_by_oidc_subject ON users (oidc_subject);
