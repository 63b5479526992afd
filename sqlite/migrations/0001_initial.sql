-- 0001: the first IAM entities. Later features (roles, policies, ...) add
-- tables in new numbered files; an applied file is never edited.
--
-- Conventions, relied on by the Go code in this package:
--   * Times are INTEGER Unix nanoseconds in UTC; 0 is the zero time.
--   * name_lower is the Go strings.ToLower of name. Case-insensitive
--     uniqueness and lookup go through it, never through SQL lower(),
--     which folds ASCII only.
--   * Foreign keys are ON DELETE RESTRICT: the domain layer removes
--     dependants first, and a forgotten one fails the delete instead of
--     leaving an orphan or silently cascading.
--   * STRICT tables, so a type mistake in Go fails loudly.

CREATE TABLE meta (
	key   TEXT NOT NULL PRIMARY KEY,
	value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE accounts (
	id          TEXT NOT NULL PRIMARY KEY,
	create_date INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
	id                   TEXT NOT NULL PRIMARY KEY,
	account_id           TEXT NOT NULL,
	name                 TEXT NOT NULL,
	name_lower           TEXT NOT NULL,
	path                 TEXT NOT NULL,
	create_date          INTEGER NOT NULL,
	permissions_boundary TEXT NOT NULL DEFAULT '',
	-- JSON array of {"Key":..,"Value":..} objects, in the caller's order.
	tags                 TEXT NOT NULL DEFAULT '[]',
	password_last_used   INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE UNIQUE INDEX users_account_name ON users (account_id, name_lower);

CREATE TABLE groups (
	id          TEXT NOT NULL PRIMARY KEY,
	account_id  TEXT NOT NULL,
	name        TEXT NOT NULL,
	name_lower  TEXT NOT NULL,
	path        TEXT NOT NULL,
	create_date INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX groups_account_name ON groups (account_id, name_lower);

CREATE TABLE group_members (
	group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE RESTRICT,
	user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
	PRIMARY KEY (group_id, user_id)
) STRICT, WITHOUT ROWID;

-- GroupsForUser and the users-side foreign key check both search by user.
CREATE INDEX group_members_user ON group_members (user_id, group_id);

CREATE TABLE access_keys (
	id                TEXT NOT NULL PRIMARY KEY,
	account_id        TEXT NOT NULL,
	-- NULL for the account's root user, so the foreign key does not apply.
	user_id           TEXT REFERENCES users (id) ON DELETE RESTRICT,
	status            TEXT NOT NULL,
	create_date       INTEGER NOT NULL,
	sealed_secret     BLOB NOT NULL,
	last_used_date    INTEGER NOT NULL DEFAULT 0,
	last_used_service TEXT NOT NULL DEFAULT '',
	last_used_region  TEXT NOT NULL DEFAULT ''
) STRICT;

-- AccessKeys lists by owner in creation order; the index also serves the
-- foreign key check when a user is deleted.
CREATE INDEX access_keys_owner ON access_keys (user_id, account_id, create_date, id);
