-- PostgreSQL twin of ../sqlite/0001_accounts.sql: the same tables, in PostgreSQL types.
-- Accounts, two-factor enrollments and recovery codes.
-- Times are Unix seconds. Sessions live in `tower_sessions`, made by tower-sessions' store.

-- `username_key` is the lower-cased name: it makes names unique without regard to case,
-- while `username` keeps the spelling the person chose, for display.
CREATE TABLE users (
    id              BIGSERIAL PRIMARY KEY,
    username        TEXT    NOT NULL,
    username_key    TEXT    NOT NULL UNIQUE,
    -- Argon2id PHC string (algorithm, parameters and salt included).
    password_hash   TEXT    NOT NULL,
    -- The confirmed TOTP key, encrypted (AES-256-GCM, the account id as associated data);
    -- NULL while two-factor authentication is off.
    totp_secret     BYTEA,
    totp_enabled_at BIGINT,
    -- The last time-step whose code was accepted: only later steps are accepted after it
    -- (RFC 6238 §5.2, each code at most once).
    totp_last_step  BIGINT,
    -- The parameters the credential was made with (the policy may change later; they do not):
    -- 'totp' or 'hotp', SHA1/SHA256/SHA512, 6 or 8 digits, 30 or 60 s, and the window (TOTP:
    -- steps either side; HOTP: counter values looked ahead).
    otp_kind        TEXT    NOT NULL DEFAULT 'totp',
    otp_algorithm   TEXT    NOT NULL DEFAULT 'SHA1',
    otp_digits      BIGINT NOT NULL DEFAULT 6,
    otp_period      BIGINT NOT NULL DEFAULT 30,
    otp_window      BIGINT NOT NULL DEFAULT 1,
    -- HOTP: the next counter value expected (every accepted code moves it past itself), and a
    -- code seen beyond the window, waiting for the next one to resynchronise (RFC 4226 §7.4).
    hotp_counter        BIGINT,
    hotp_resync_counter BIGINT,
    -- Consecutive failed second factors (codes and recovery codes) and when the last one was:
    -- they decide the delay before the next attempt and the lock (see throttle.rs).
    second_factor_failures  BIGINT NOT NULL DEFAULT 0,
    second_factor_failed_at BIGINT,
    -- Sessions remember the epoch they were made in; raising it ends every other session of the
    -- account ("sign out everywhere", and any change to two-factor authentication).
    session_epoch   BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL
);

-- A setup in progress (its key encrypted like users.totp_secret): the key shown to the person, kept here (never sent back by the
-- browser) until a code confirms it. One per account; a new setup replaces it.
CREATE TABLE totp_enrollments (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret     BYTEA    NOT NULL,
    -- The policy's parameters when the setup started.
    otp_kind      TEXT    NOT NULL,
    otp_algorithm TEXT    NOT NULL,
    otp_digits    BIGINT NOT NULL,
    otp_period    BIGINT NOT NULL,
    otp_window    BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Single-use recovery codes, only as salted SHA-256 hashes. `used_at` spends a code.
CREATE TABLE recovery_codes (
    id        BIGSERIAL PRIMARY KEY,
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    salt      BYTEA    NOT NULL,
    code_hash BYTEA    NOT NULL,
    used_at   BIGINT
);
CREATE INDEX recovery_codes_by_user ON recovery_codes (user_id);

-- Password throttling: consecutive failures per username (`user:<name>`, whether or not the
-- account exists) and per client address (`addr:<ip>`).
CREATE TABLE login_throttle (
    throttle_key    TEXT    PRIMARY KEY,
    failures        BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL
);

-- A known text sealed with the TOTP encryption key: at start-up it tells a wrong or missing key
-- apart from a right one before any secret is needed.
CREATE TABLE encryption_key_check (
    id     BIGINT PRIMARY KEY CHECK (id = 1),
    sealed BYTEA    NOT NULL
);

-- What happened to an account, for its owner to review on /account.
CREATE TABLE security_events (
    id             BIGSERIAL PRIMARY KEY,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at             BIGINT NOT NULL,
    kind           TEXT    NOT NULL,
    detail         TEXT    NOT NULL,
    client_address TEXT
);
CREATE INDEX security_events_by_user ON security_events (user_id, at);

-- Server-side sessions: the table tower-sessions' PostgresStore uses, created here (under the
-- migration lock) so that instances starting together create it once.
CREATE SCHEMA IF NOT EXISTS tower_sessions;
CREATE TABLE IF NOT EXISTS tower_sessions.session (
    id          TEXT        PRIMARY KEY NOT NULL,
    data        BYTEA       NOT NULL,
    expiry_date TIMESTAMPTZ NOT NULL
);
