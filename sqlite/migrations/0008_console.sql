-- 0008: web console sessions and sign-in failure counters. Neither is on
-- the request-signing path, so no change-feed triggers.

CREATE TABLE console_sessions (
	-- hex SHA-256 of the session token; the token itself is never stored.
	token_hash           TEXT NOT NULL PRIMARY KEY,
	account_id           TEXT NOT NULL,
	-- a user ID, or the account ID for the root user. No foreign key: the
	-- root user has no users row; a deleted user's sessions fail the
	-- password stamp check and expire.
	user_id              TEXT NOT NULL,
	user_name            TEXT NOT NULL,
	password_stamp       TEXT NOT NULL,
	mfa                  INTEGER NOT NULL,
	must_change_password INTEGER NOT NULL,
	source_ip            TEXT NOT NULL,
	user_agent           TEXT NOT NULL,
	create_date          INTEGER NOT NULL,
	expire_date          INTEGER NOT NULL,
	revoked              INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

CREATE INDEX console_sessions_user ON console_sessions (account_id, user_id);
CREATE INDEX console_sessions_expiry ON console_sessions (expire_date);

CREATE TABLE sign_in_failures (
	account_id   TEXT NOT NULL,
	-- lower-cased user name, or 'root'; counted for names that do not
	-- exist too, so the delay does not reveal which users exist.
	user_key     TEXT NOT NULL,
	failures     INTEGER NOT NULL,
	last_failure INTEGER NOT NULL,
	locked_until INTEGER NOT NULL,
	PRIMARY KEY (account_id, user_key)
) STRICT, WITHOUT ROWID;
