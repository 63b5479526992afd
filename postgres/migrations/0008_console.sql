-- 0008: web console sessions and sign-in failure counters. Neither is on
-- the request-signing path, so no change-feed triggers.

CREATE TABLE console_sessions (
	-- hex SHA-256 of the session token; the token itself is never stored.
	token_hash           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id           TEXT COLLATE "C" NOT NULL,
	-- a user ID, or the account ID for the root user. No foreign key: the
	-- root user has no users row; a deleted user's sessions fail the
	-- password stamp check and expire.
	user_id              TEXT COLLATE "C" NOT NULL,
	user_name            TEXT COLLATE "C" NOT NULL,
	password_stamp       TEXT COLLATE "C" NOT NULL,
	mfa                  BIGINT NOT NULL,
	must_change_password BIGINT NOT NULL,
	source_ip            TEXT COLLATE "C" NOT NULL,
	user_agent           TEXT COLLATE "C" NOT NULL,
	create_date          BIGINT NOT NULL,
	expire_date          BIGINT NOT NULL,
	revoked              BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX console_sessions_user ON console_sessions (account_id, user_id);
CREATE INDEX console_sessions_expiry ON console_sessions (expire_date);

CREATE TABLE sign_in_failures (
	account_id   TEXT COLLATE "C" NOT NULL,
	-- lower-cased user name, or 'root'; counted for names that do not
	-- exist too, so the delay does not reveal which users exist.
	user_key     TEXT COLLATE "C" NOT NULL,
	failures     BIGINT NOT NULL,
	last_failure BIGINT NOT NULL,
	locked_until BIGINT NOT NULL,
	PRIMARY KEY (account_id, user_key)
);
