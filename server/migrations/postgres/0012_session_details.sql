-- PostgreSQL twin of ../sqlite/0012_session_details.sql: what "Your sessions" lists of each
-- session, written by the session store beside the session's data (see the SQLite twin).
ALTER TABLE sessions ADD COLUMN user_id BIGINT;
ALTER TABLE sessions ADD COLUMN session_epoch BIGINT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN client_address TEXT;
ALTER TABLE sessions ADD COLUMN signed_in_at BIGINT;
ALTER TABLE sessions ADD COLUMN last_used_at BIGINT;
CREATE INDEX sessions_by_user ON sessions (user_id);
