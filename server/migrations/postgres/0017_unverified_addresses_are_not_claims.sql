-- An address a person types is only a claim until the link mailed to it is followed: it must not
-- keep the address from its owner. Before this migration any stored address, verified or not,
-- blocked every other account from it (`users_by_email`), so anyone could take someone else's
-- address first and keep it: its owner could then neither add nor verify it, and the refusal
-- told whoever typed it that the address was held. Now only a verified address is unique
-- (compared without regard to case): several accounts may hold the same unverified address, and
-- at most one of them can ever have it verified, which this index decides even for two links
-- followed at the same moment.
DROP INDEX users_by_email;

CREATE UNIQUE INDEX users_by_verified_email ON users (lower(email)) WHERE email_verified_at IS NOT NULL;
