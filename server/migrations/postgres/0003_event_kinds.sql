-- The security log keeps what happened (its stable kind); the words for a person are the
-- account page's to render, in one place, so a rewording needs no data migration.
ALTER TABLE security_events DROP COLUMN detail;
