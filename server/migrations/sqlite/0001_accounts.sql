-- Accounts, two-factor enrollments and recovery codes.
-- Times are Unix seconds. Sessions live in `tower_sessions`, made by tower-sessions' store.

-- `username_key` is the lower-cased name: it makes names unique without regard to case,
-- while `username` keeps the spelling the person chose, for display.
CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    username        TEXT    NOT NULL,
    username_key    TEXT    NOT NULL UNIQUE,
    -- Argon2id PHC string (algorithm, parameters and salt included).
    password_hash   TEXT    NOT NULL,
    -- The confirmed TOTP key, encrypted (AES-256-GCM, the account id as associated data);
    -- NULL while two-factor authentication is off.
    totp_secret     BLOB,
    totp_enabled_at INTEGER,
    -- The last time-step whose code was accepted: only later steps are accepted after it
    -- (RFC 6238 §5.2, each code at most once).
    totp_last_step  INTEGER,
    -- The parameters the credential was made with (the policy may change later; they do not):
    -- 'totp' or 'hotp', SHA1/SHA256/SHA512, 6 or 8 digits, 30 or 60 s, and the window (TOTP:
    -- steps either side; HOTP: counter values looked ahead).
    otp_kind        TEXT    NOT NULL DEFAULT 'totp',
    otp_algorithm   TEXT    NOT NULL DEFAULT 'SHA1',
    otp_digits      INTEGER NOT NULL DEFAULT 6,
    otp_period      INTEGER NOT NULL DEFAULT 30,
    otp_window      INTEGER NOT NULL DEFAULT 1,
    -- HOTP: the next counter value expected (every accepted code moves it past itself), and a
    -- code seen beyond the window, waiting for the next one to resynchronise (RFC 4226 §7.4).
    hotp_counter        INTEGER,
    hotp_resync_counter INTEGER,
    -- Consecutive failed second factors (codes and recovery codes) and when the last one was:
    -- they decide the delay before the next attempt and the lock (see throttle.rs).
    second_factor_failures  INTEGER NOT NULL DEFAULT 0,
    second_factor_failed_at INTEGER,
    -- Sessions remember the epoch they were made in; raising it ends every other session of the
    -- account ("sign out everywhere", and any change to two-factor authentication).
    session_epoch   INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);

-- A setup in progress (its key encrypted like users.totp_secret): the key shown to the person, kept here (never sent back by the
-- browser) until a code confirms it. One per account; a new setup replaces it.
CREATE TABLE totp_enrollments (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret     BLOB    NOT NULL,
    -- The policy's parameters when the setup started.
    otp_kind      TEXT    NOT NULL,
    otp_algorithm TEXT    NOT NULL,
    otp_digits    INTEGER NOT NULL,
    otp_period    INTEGER NOT NULL,
    otp_window    INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- Single-use recovery codes, only as salted SHA-256 hashes. `used_at` spends a code.
CREATE TABLE recovery_codes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    salt      BLOB    NOT NULL,
    code_hash BLOB    NOT NULL,
    used_at   INTEGER
);
CREATE INDEX recovery_codes_by_user ON recovery_codes (user_id);

-- Password throttling: consecutive failures per username (`user:<name>`, whether or not the
-- account exists) and per client address (`addr:<ip>`).
CREATE TABLE login_throttle (
    throttle_key    TEXT    PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
);

-- A known text sealed with the TOTP encryption key: at start-up it tells a wrong or missing key
-- apart from a right one before any secret is needed.
CREATE TABLE encryption_key_check (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    sealed BLOB    NOT NULL
);

-- What happened to an account, for its owner to review on /account.
CREATE TABLE security_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at             INTEGER NOT NULL,
    kind           TEXT    NOT NULL,
    detail         TEXT    NOT NULL,
    client_address TEXT
);
CREATE INDEX security_events_by_user ON security_events (user_id, at);
