-- 0001: the first IAM entities, mirroring sqlite/migrations/0001. Later
-- features add tables in new numbered files; an applied file is never
-- edited.
--
-- Conventions, relied on by the Go code in this package:
--   * Times are BIGINT Unix nanoseconds in UTC; 0 is the zero time (as on
--     SQLite, so both backends hold the same values and `iamd db copy`
--     moves rows without conversion).
--   * Every text column is COLLATE "C": comparisons and ORDER BY are by
--     bytes, as on SQLite, whatever the database's default collation.
--     Listing pagination (name_lower > marker) depends on that order.
--   * name_lower is the Go strings.ToLower of name. Case-insensitive
--     uniqueness and lookup go through it, never through SQL lower().
--   * Foreign keys are ON DELETE RESTRICT: the domain layer removes
--     dependants first, and a forgotten one fails the delete instead of
--     leaving an orphan or silently cascading.

CREATE TABLE meta (
	key   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	value TEXT COLLATE "C" NOT NULL
);

CREATE TABLE accounts (
	id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	create_date BIGINT NOT NULL
);

CREATE TABLE users (
	id                   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id           TEXT COLLATE "C" NOT NULL,
	name                 TEXT COLLATE "C" NOT NULL,
	name_lower           TEXT COLLATE "C" NOT NULL,
	path                 TEXT COLLATE "C" NOT NULL,
	create_date          BIGINT NOT NULL,
	permissions_boundary TEXT COLLATE "C" NOT NULL DEFAULT '',
	-- JSON array of {"Key":..,"Value":..} objects, in the caller's order.
	tags                 TEXT COLLATE "C" NOT NULL DEFAULT '[]',
	password_last_used   BIGINT NOT NULL DEFAULT 0
);

CREATE UNIQUE INDEX users_account_name ON users (account_id, name_lower);

CREATE TABLE groups (
	id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id  TEXT COLLATE "C" NOT NULL,
	name        TEXT COLLATE "C" NOT NULL,
	name_lower  TEXT COLLATE "C" NOT NULL,
	path        TEXT COLLATE "C" NOT NULL,
	create_date BIGINT NOT NULL
);

CREATE UNIQUE INDEX groups_account_name ON groups (account_id, name_lower);

CREATE TABLE group_members (
	group_id TEXT COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE RESTRICT,
	user_id  TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
	PRIMARY KEY (group_id, user_id)
);

-- GroupsForUser and the users-side foreign key check both search by user.
CREATE INDEX group_members_user ON group_members (user_id, group_id);

CREATE TABLE access_keys (
	id                TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id        TEXT COLLATE "C" NOT NULL,
	-- NULL for the account's root user, so the foreign key does not apply.
	user_id           TEXT COLLATE "C" REFERENCES users (id) ON DELETE RESTRICT,
	status            TEXT COLLATE "C" NOT NULL,
	create_date       BIGINT NOT NULL,
	sealed_secret     BYTEA NOT NULL,
	last_used_date    BIGINT NOT NULL DEFAULT 0,
	last_used_service TEXT COLLATE "C" NOT NULL DEFAULT '',
	last_used_region  TEXT COLLATE "C" NOT NULL DEFAULT ''
);

-- AccessKeys lists by owner in creation order; the index also serves the
-- foreign key check when a user is deleted.
CREATE INDEX access_keys_owner ON access_keys (user_id, account_id, create_date, id);
