-- Machine clients (docs/contract/oidc.md, "Machine clients"): a client registered with
-- `server oidc client add ID --grant client_credentials [--scope S…]` gets access tokens for
-- itself, not for a person, with the scopes the operator gave it.
-- `grant_types`: the grants the client may use at the token endpoint, space-separated
-- (`authorization_code` also covers `refresh_token`); every client registered before this
-- migration signs people in. `scopes`: what the client_credentials grant may give, space-separated.
-- (0016 and 0018 are other changes' numbers: migrations apply by number, whatever order they
-- arrive in.)
ALTER TABLE oidc_clients ADD COLUMN grant_types TEXT NOT NULL DEFAULT 'authorization_code';
ALTER TABLE oidc_clients ADD COLUMN scopes TEXT NOT NULL DEFAULT '';

-- A machine client's access tokens, apart from people's (`oidc_tokens` names an account on every
-- row, and userinfo reads only that table, so it never takes one of these). Kept as SHA-256
-- hashes; deleted with the client, and when they expire.
CREATE TABLE oidc_client_tokens (
    token_hash  TEXT    PRIMARY KEY,
    client_id   TEXT    NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    scope       TEXT    NOT NULL,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX oidc_client_tokens_by_client ON oidc_client_tokens (client_id);
CREATE INDEX oidc_client_tokens_by_expiry ON oidc_client_tokens (expires_at);
