-- Apps open only to some groups (docs/contract/oidc.md, "Apps open to some groups"): the groups
-- whose members the app is open to, comma-separated like `users.groups`; empty (every app
-- registered before this migration): open to everyone. Set by `server oidc client add --groups`
-- and `server oidc client groups`, and checked where a code would be issued and at every refresh.
-- (0010 is another change's number: migrations apply by number, whatever order they arrive in.)
ALTER TABLE oidc_clients ADD COLUMN allowed_groups TEXT NOT NULL DEFAULT '';
