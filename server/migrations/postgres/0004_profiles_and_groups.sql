-- What the forward-auth gate tells the apps behind it about the person (Remote-Name,
-- Remote-Email, Remote-Groups): an optional display name and email, set by the person on
-- /account or by the operator, and the groups the operator puts the account in
-- (comma-separated, for the access rules' `group:` subjects).
ALTER TABLE users ADD COLUMN display_name TEXT;
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN groups TEXT NOT NULL DEFAULT '';
