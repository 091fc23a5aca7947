-- What "Your sessions" (/account/sessions) lists of each session, written by the session store
-- (server/src/infra/session_store.rs) beside the session's data, so that the list is one query
-- that never opens a session's data.
--
-- `user_id` and `session_epoch` are set only while the session is signed in with every factor
-- (both NULL for a session half-way in, or signed out): the account it belongs to, and the
-- session epoch it was signed in at (a session of an older epoch was ended from elsewhere). No
-- foreign key: a sign-in racing the deletion of its account must not fail its write; the account's
-- sessions end anyway (their account is gone), and expire.
-- `user_agent` (at most 200 characters) and `client_address`: the browser and address of the
-- last full sign-in or re-authentication in this session. `signed_in_at`: when the session was
-- first signed in. `last_used_at`: its last write, at most a minute old while it is in use (the
-- store writes a session in use once a minute, not once per request). Times are Unix seconds.
-- Sessions from before this migration have none of these: they are not listed, and get them at
-- their next sign-in.
ALTER TABLE sessions ADD COLUMN user_id INTEGER;
ALTER TABLE sessions ADD COLUMN session_epoch INTEGER;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN client_address TEXT;
ALTER TABLE sessions ADD COLUMN signed_in_at INTEGER;
ALTER TABLE sessions ADD COLUMN last_used_at INTEGER;
CREATE INDEX sessions_by_user ON sessions (user_id);
