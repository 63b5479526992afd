-- 0003: roles, customer managed policies and their versions, inline
-- policies and policy attachments, with their change-feed triggers. The
-- conventions of 0001 apply (name_lower, nanosecond times, RESTRICT).
--
-- Inline policies and attachments live in one table per owner kind so that
-- each row has a real foreign key to its owner: a user, group or role
-- cannot be deleted while it still has them.

CREATE TABLE roles (
	id                   TEXT NOT NULL PRIMARY KEY,
	account_id           TEXT NOT NULL,
	name                 TEXT NOT NULL,
	name_lower           TEXT NOT NULL,
	path                 TEXT NOT NULL,
	create_date          INTEGER NOT NULL,
	-- The trust policy exactly as submitted: AWS returns it verbatim.
	assume_role_policy   TEXT NOT NULL,
	description          TEXT NOT NULL DEFAULT '',
	max_session_duration INTEGER NOT NULL,
	permissions_boundary TEXT NOT NULL DEFAULT '',
	tags                 TEXT NOT NULL DEFAULT '[]',
	last_used_date       INTEGER NOT NULL DEFAULT 0,
	last_used_region     TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE UNIQUE INDEX roles_account_name ON roles (account_id, name_lower);
CREATE INDEX roles_boundary ON roles (permissions_boundary) WHERE permissions_boundary <> '';
CREATE INDEX users_boundary ON users (permissions_boundary) WHERE permissions_boundary <> '';

CREATE TABLE policies (
	id                 TEXT NOT NULL PRIMARY KEY,
	account_id         TEXT NOT NULL,
	name               TEXT NOT NULL,
	name_lower         TEXT NOT NULL,
	path               TEXT NOT NULL,
	description        TEXT NOT NULL DEFAULT '',
	create_date        INTEGER NOT NULL,
	update_date        INTEGER NOT NULL,
	default_version_id TEXT NOT NULL,
	-- Version IDs are never reused, even after a version is deleted, so
	-- the counter is kept rather than derived from the versions left.
	next_version       INTEGER NOT NULL,
	tags               TEXT NOT NULL DEFAULT '[]'
) STRICT;

-- Policy names are unique per account whatever their path, as in AWS.
CREATE UNIQUE INDEX policies_account_name ON policies (account_id, name_lower);

CREATE TABLE policy_versions (
	policy_id   TEXT NOT NULL REFERENCES policies (id) ON DELETE RESTRICT,
	version_id  TEXT NOT NULL,
	-- The numeric part of version_id, for ordering v10 after v9.
	version_num INTEGER NOT NULL,
	document    TEXT NOT NULL,
	create_date INTEGER NOT NULL,
	PRIMARY KEY (policy_id, version_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE user_policies (
	owner_id   TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
	name       TEXT NOT NULL,
	name_lower TEXT NOT NULL,
	document   TEXT NOT NULL,
	PRIMARY KEY (owner_id, name_lower)
) STRICT, WITHOUT ROWID;

CREATE TABLE group_policies (
	owner_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE RESTRICT,
	name       TEXT NOT NULL,
	name_lower TEXT NOT NULL,
	document   TEXT NOT NULL,
	PRIMARY KEY (owner_id, name_lower)
) STRICT, WITHOUT ROWID;

CREATE TABLE role_policies (
	owner_id   TEXT NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
	name       TEXT NOT NULL,
	name_lower TEXT NOT NULL,
	document   TEXT NOT NULL,
	PRIMARY KEY (owner_id, name_lower)
) STRICT, WITHOUT ROWID;

-- Attachments name the policy by ARN because AWS managed policies are not
-- rows; the domain layer checks that the policy exists.
CREATE TABLE user_attachments (
	owner_id   TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
	policy_arn TEXT NOT NULL,
	PRIMARY KEY (owner_id, policy_arn)
) STRICT, WITHOUT ROWID;
CREATE INDEX user_attachments_policy ON user_attachments (policy_arn);

CREATE TABLE group_attachments (
	owner_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE RESTRICT,
	policy_arn TEXT NOT NULL,
	PRIMARY KEY (owner_id, policy_arn)
) STRICT, WITHOUT ROWID;
CREATE INDEX group_attachments_policy ON group_attachments (policy_arn);

CREATE TABLE role_attachments (
	owner_id   TEXT NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
	policy_arn TEXT NOT NULL,
	PRIMARY KEY (owner_id, policy_arn)
) STRICT, WITHOUT ROWID;
CREATE INDEX role_attachments_policy ON role_attachments (policy_arn);

-- Change feed. A version change names its policy (the policy and all its
-- versions are reloaded together); an inline policy or attachment change
-- names its owner, whose whole set is reloaded.

CREATE TRIGGER roles_changed_ins AFTER INSERT ON roles BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('role', NEW.id);
END;
CREATE TRIGGER roles_changed_upd AFTER UPDATE ON roles BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('role', NEW.id);
END;
CREATE TRIGGER roles_changed_del AFTER DELETE ON roles BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('role', OLD.id);
END;

CREATE TRIGGER policies_changed_ins AFTER INSERT ON policies BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('policy', NEW.id);
END;
CREATE TRIGGER policies_changed_upd AFTER UPDATE ON policies BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('policy', NEW.id);
END;
CREATE TRIGGER policies_changed_del AFTER DELETE ON policies BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('policy', OLD.id);
END;

CREATE TRIGGER policy_versions_changed_ins AFTER INSERT ON policy_versions BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('policy', NEW.policy_id);
END;
CREATE TRIGGER policy_versions_changed_upd AFTER UPDATE ON policy_versions BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('policy', NEW.policy_id);
END;
CREATE TRIGGER policy_versions_changed_del AFTER DELETE ON policy_versions BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('policy', OLD.policy_id);
END;

CREATE TRIGGER user_policies_changed_ins AFTER INSERT ON user_policies BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('userpolicy', NEW.owner_id);
END;
CREATE TRIGGER user_policies_changed_upd AFTER UPDATE ON user_policies BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('userpolicy', NEW.owner_id);
END;
CREATE TRIGGER user_policies_changed_del AFTER DELETE ON user_policies BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('userpolicy', OLD.owner_id);
END;

CREATE TRIGGER group_policies_changed_ins AFTER INSERT ON group_policies BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('grouppolicy', NEW.owner_id);
END;
CREATE TRIGGER group_policies_changed_upd AFTER UPDATE ON group_policies BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('grouppolicy', NEW.owner_id);
END;
CREATE TRIGGER group_policies_changed_del AFTER DELETE ON group_policies BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('grouppolicy', OLD.owner_id);
END;

CREATE TRIGGER role_policies_changed_ins AFTER INSERT ON role_policies BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('rolepolicy', NEW.owner_id);
END;
CREATE TRIGGER role_policies_changed_upd AFTER UPDATE ON role_policies BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('rolepolicy', NEW.owner_id);
END;
CREATE TRIGGER role_policies_changed_del AFTER DELETE ON role_policies BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('rolepolicy', OLD.owner_id);
END;

CREATE TRIGGER user_attachments_changed_ins AFTER INSERT ON user_attachments BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('userattachment', NEW.owner_id);
END;
CREATE TRIGGER user_attachments_changed_del AFTER DELETE ON user_attachments BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('userattachment', OLD.owner_id);
END;

CREATE TRIGGER group_attachments_changed_ins AFTER INSERT ON group_attachments BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('groupattachment', NEW.owner_id);
END;
CREATE TRIGGER group_attachments_changed_del AFTER DELETE ON group_attachments BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('groupattachment', OLD.owner_id);
END;

CREATE TRIGGER role_attachments_changed_ins AFTER INSERT ON role_attachments BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('roleattachment', NEW.owner_id);
END;
CREATE TRIGGER role_attachments_changed_del AFTER DELETE ON role_attachments BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('roleattachment', OLD.owner_id);
END;

CREATE TABLE instance_profiles (
	id          TEXT NOT NULL PRIMARY KEY,
	account_id  TEXT NOT NULL,
	name        TEXT NOT NULL,
	name_lower  TEXT NOT NULL,
	path        TEXT NOT NULL,
	create_date INTEGER NOT NULL,
	tags        TEXT NOT NULL DEFAULT '[]'
) STRICT;

CREATE UNIQUE INDEX instance_profiles_account_name ON instance_profiles (account_id, name_lower);

CREATE TABLE instance_profile_roles (
	profile_id TEXT NOT NULL REFERENCES instance_profiles (id) ON DELETE RESTRICT,
	role_id    TEXT NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
	PRIMARY KEY (profile_id, role_id)
) STRICT, WITHOUT ROWID;

-- InstanceProfilesForRole and the roles-side foreign key check search by role.
CREATE INDEX instance_profile_roles_role ON instance_profile_roles (role_id, profile_id);

-- A profile's roles are part of the profile: a role change names the profile.
CREATE TRIGGER instance_profiles_changed_ins AFTER INSERT ON instance_profiles BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('instanceprofile', NEW.id);
END;
CREATE TRIGGER instance_profiles_changed_upd AFTER UPDATE ON instance_profiles BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('instanceprofile', NEW.id);
END;
CREATE TRIGGER instance_profiles_changed_del AFTER DELETE ON instance_profiles BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('instanceprofile', OLD.id);
END;
CREATE TRIGGER instance_profile_roles_changed_ins AFTER INSERT ON instance_profile_roles BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('instanceprofile', NEW.profile_id);
END;
CREATE TRIGGER instance_profile_roles_changed_del AFTER DELETE ON instance_profile_roles BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('instanceprofile', OLD.profile_id);
END;
