-- 0004: federation providers, SSH keys, certificates, service-specific
-- credentials and account aliases. None of these is read on the
-- authentication path, so no change-feed triggers: nodes read them from
-- the database on demand.

CREATE TABLE oidc_providers (
	account_id  TEXT COLLATE "C" NOT NULL,
	-- The issuer URL without https://, compared exactly as AWS does: a
	-- trailing slash or a case difference makes another provider.
	url         TEXT COLLATE "C" NOT NULL,
	-- JSON arrays of strings, in the caller's order.
	client_ids  TEXT COLLATE "C" NOT NULL DEFAULT '[]',
	thumbprints TEXT COLLATE "C" NOT NULL DEFAULT '[]',
	create_date BIGINT NOT NULL,
	tags        TEXT COLLATE "C" NOT NULL DEFAULT '[]',
	PRIMARY KEY (account_id, url)
);

CREATE TABLE saml_providers (
	id                        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id                TEXT COLLATE "C" NOT NULL,
	name                      TEXT COLLATE "C" NOT NULL,
	name_lower                TEXT COLLATE "C" NOT NULL,
	metadata                  TEXT COLLATE "C" NOT NULL,
	create_date               BIGINT NOT NULL,
	valid_until               BIGINT NOT NULL DEFAULT 0,
	assertion_encryption_mode TEXT COLLATE "C" NOT NULL DEFAULT '',
	tags                      TEXT COLLATE "C" NOT NULL DEFAULT '[]'
);

CREATE UNIQUE INDEX saml_providers_account_name ON saml_providers (account_id, name_lower);

CREATE TABLE ssh_public_keys (
	id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id  TEXT COLLATE "C" NOT NULL,
	user_id     TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
	body        TEXT COLLATE "C" NOT NULL,
	fingerprint TEXT COLLATE "C" NOT NULL,
	status      TEXT COLLATE "C" NOT NULL,
	upload_date BIGINT NOT NULL
);

-- A user holds a key once; the index also serves listing by user and the
-- foreign key check when a user is deleted.
CREATE UNIQUE INDEX ssh_public_keys_user_fingerprint ON ssh_public_keys (user_id, fingerprint);

CREATE TABLE signing_certificates (
	id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id  TEXT COLLATE "C" NOT NULL,
	-- NULL for the account's root user, so the foreign key does not apply.
	user_id     TEXT COLLATE "C" REFERENCES users (id) ON DELETE RESTRICT,
	body        TEXT COLLATE "C" NOT NULL,
	-- SHA-256 of the DER: AWS refuses the same certificate twice in an
	-- account, whoever holds it.
	fingerprint TEXT COLLATE "C" NOT NULL,
	status      TEXT COLLATE "C" NOT NULL,
	upload_date BIGINT NOT NULL
);

CREATE UNIQUE INDEX signing_certificates_account_fingerprint ON signing_certificates (account_id, fingerprint);
CREATE INDEX signing_certificates_owner ON signing_certificates (user_id, account_id, upload_date, id);

CREATE TABLE server_certificates (
	id                 TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id         TEXT COLLATE "C" NOT NULL,
	name               TEXT COLLATE "C" NOT NULL,
	name_lower         TEXT COLLATE "C" NOT NULL,
	path               TEXT COLLATE "C" NOT NULL,
	body               TEXT COLLATE "C" NOT NULL,
	chain              TEXT COLLATE "C" NOT NULL DEFAULT '',
	-- keyring-sealed, bound to id; never returned.
	sealed_private_key BYTEA NOT NULL,
	upload_date        BIGINT NOT NULL,
	expiration         BIGINT NOT NULL,
	tags               TEXT COLLATE "C" NOT NULL DEFAULT '[]'
);

CREATE UNIQUE INDEX server_certificates_account_name ON server_certificates (account_id, name_lower);

CREATE TABLE service_credentials (
	id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id      TEXT COLLATE "C" NOT NULL,
	user_id         TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
	service_name    TEXT COLLATE "C" NOT NULL,
	service_user    TEXT COLLATE "C" NOT NULL,
	-- argon2id PHC string; the password itself is shown once and dropped.
	password_hash   TEXT COLLATE "C" NOT NULL,
	status          TEXT COLLATE "C" NOT NULL,
	create_date     BIGINT NOT NULL,
	expiration_date BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX service_credentials_user ON service_credentials (user_id, create_date, id);
CREATE INDEX service_credentials_account ON service_credentials (account_id, create_date, id);

-- An alias is unique across the deployment, as AWS aliases are across a
-- partition.
CREATE TABLE account_aliases (
	alias      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id TEXT COLLATE "C" NOT NULL
);

CREATE INDEX account_aliases_account ON account_aliases (account_id);
