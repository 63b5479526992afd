-- 0005: login profiles, password policy, password history, MFA devices.
-- None of these is read on the request-signing path, so no change-feed
-- triggers: nodes read them from the database on demand.

CREATE TABLE login_profiles (
	user_id                 TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE RESTRICT,
	account_id              TEXT COLLATE "C" NOT NULL,
	-- argon2id PHC strings; the password itself is never stored.
	password_hash           TEXT COLLATE "C" NOT NULL,
	-- JSON array of previous hashes, newest first.
	history                 TEXT COLLATE "C" NOT NULL DEFAULT '[]',
	password_reset_required BIGINT NOT NULL DEFAULT 0,
	create_date             BIGINT NOT NULL,
	password_changed        BIGINT NOT NULL
);

CREATE TABLE password_policies (
	account_id                   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	minimum_password_length      BIGINT NOT NULL,
	require_symbols              BIGINT NOT NULL,
	require_numbers              BIGINT NOT NULL,
	require_uppercase_characters BIGINT NOT NULL,
	require_lowercase_characters BIGINT NOT NULL,
	allow_users_to_change        BIGINT NOT NULL,
	max_password_age             BIGINT NOT NULL,
	password_reuse_prevention    BIGINT NOT NULL,
	hard_expiry                  BIGINT NOT NULL
);

CREATE TABLE mfa_devices (
	serial_number TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id    TEXT COLLATE "C" NOT NULL,
	name          TEXT COLLATE "C" NOT NULL,
	name_lower    TEXT COLLATE "C" NOT NULL,
	path          TEXT COLLATE "C" NOT NULL,
	-- keyring-sealed TOTP seed, bound to serial_number; never returned
	-- after creation.
	sealed_seed   BYTEA NOT NULL,
	create_date   BIGINT NOT NULL,
	-- '' while unassigned; a user ID, or the account ID for the root user.
	-- No foreign key: the root user has no users row. DeleteUser refuses
	-- while a device is assigned.
	user_id       TEXT COLLATE "C" NOT NULL DEFAULT '',
	enable_date   BIGINT NOT NULL DEFAULT 0,
	last_step     BIGINT NOT NULL DEFAULT 0,
	drift         BIGINT NOT NULL DEFAULT 0,
	tags          TEXT COLLATE "C" NOT NULL DEFAULT '[]'
);

CREATE UNIQUE INDEX mfa_devices_account_name ON mfa_devices (account_id, name_lower);
CREATE INDEX mfa_devices_user ON mfa_devices (account_id, user_id, enable_date, serial_number);
