-- PostgreSQL twin of ../sqlite/0009_verified_unique_email.sql.
-- An email address is passed to apps (Remote-Email, the OpenID Connect `email` claim) only
-- once it is verified, and belongs to one account only, compared without regard to case.

-- When the address was verified (the operator setting it vouches for it); NULL: not verified.
-- Addresses stored before this migration may have been typed by anyone on /account: they start
-- unverified, and the operator sets them again (`server user set NAME --email E`) to vouch.
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;

UPDATE users SET email = NULL WHERE email = '';

-- Addresses held by several accounts before this migration: the oldest account (by creation,
-- then id) keeps it; the others lose the address, and nothing else.
UPDATE users SET email = NULL
WHERE email IS NOT NULL
  AND EXISTS (
      SELECT 1 FROM users older
      WHERE lower(older.email) = lower(users.email)
        AND (older.created_at < users.created_at
             OR (older.created_at = users.created_at AND older.id < users.id))
  );

-- NULLs (no address) never collide.
CREATE UNIQUE INDEX users_by_email ON users (lower(email));
