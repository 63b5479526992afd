-- 0005: login profiles, password policy, password history, MFA devices.
-- None of these is read on the request-signing path, so no change-feed
-- triggers: nodes read them from the database on demand.

CREATE TABLE login_profiles (
	user_id                 TEXT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE RESTRICT,
	account_id              TEXT NOT NULL,
	-- argon2id PHC strings; the password itself is never stored.
	password_hash           TEXT NOT NULL,
	-- JSON array of previous hashes, newest first.
	history                 TEXT NOT NULL DEFAULT '[]',
	password_reset_required INTEGER NOT NULL DEFAULT 0,
	create_date             INTEGER NOT NULL,
	password_changed        INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE password_policies (
	account_id                   TEXT NOT NULL PRIMARY KEY,
	minimum_password_length      INTEGER NOT NULL,
	require_symbols              INTEGER NOT NULL,
	require_numbers              INTEGER NOT NULL,
	require_uppercase_characters INTEGER NOT NULL,
	require_lowercase_characters INTEGER NOT NULL,
	allow_users_to_change        INTEGER NOT NULL,
	max_password_age             INTEGER NOT NULL,
	password_reuse_prevention    INTEGER NOT NULL,
	hard_expiry                  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE mfa_devices (
	serial_number TEXT NOT NULL PRIMARY KEY,
	account_id    TEXT NOT NULL,
	name          TEXT NOT NULL,
	name_lower    TEXT NOT NULL,
	path          TEXT NOT NULL,
	-- keyring-sealed TOTP seed, bound to serial_number; never returned
	-- after creation.
	sealed_seed   BLOB NOT NULL,
	create_date   INTEGER NOT NULL,
	-- '' while unassigned; a user ID, or the account ID for the root user.
	-- No foreign key: the root user has no users row. DeleteUser refuses
	-- while a device is assigned.
	user_id       TEXT NOT NULL DEFAULT '',
	enable_date   INTEGER NOT NULL DEFAULT 0,
	last_step     INTEGER NOT NULL DEFAULT 0,
	drift         INTEGER NOT NULL DEFAULT 0,
	tags          TEXT NOT NULL DEFAULT '[]'
) STRICT;

CREATE UNIQUE INDEX mfa_devices_account_name ON mfa_devices (account_id, name_lower);
CREATE INDEX mfa_devices_user ON mfa_devices (account_id, user_id, enable_date, serial_number);
