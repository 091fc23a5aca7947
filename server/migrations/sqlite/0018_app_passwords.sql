-- App passwords: secrets a person makes on /account/apps for scripts and mobile apps, which the
-- forward-auth gate accepts (HTTP Basic or Bearer) on access rules with `app_passwords = true`.
--
-- The secret is shown once and never stored: `lookup` is its first 8 characters after `ap_`
-- (to find the row), `hash` the lower-case hex of HMAC-SHA256 of the whole secret under a key
-- derived from the server's encryption key (`credentials::app_passwords`): a copy of this table
-- opens nothing, and checking one costs a hash, not an Argon2 run. `hosts`: the hosts it may be
-- used on, comma-separated (empty: any host whose rule allows app passwords). Times are Unix
-- seconds; `expires_at` NULL never expires; `last_used_at`/`last_used_from` move at most once a
-- minute. A revoked app password is deleted (nothing about it is kept), and so is every one of
-- an account when its password changes, its 2FA is turned off or reset, or it is disabled.
CREATE TABLE app_passwords (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    lookup         TEXT    NOT NULL,
    hash           TEXT    NOT NULL,
    hosts          TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER,
    last_used_at   INTEGER,
    last_used_from TEXT
);
CREATE INDEX app_passwords_by_lookup ON app_passwords (lookup);
CREATE INDEX app_passwords_by_user ON app_passwords (user_id);
