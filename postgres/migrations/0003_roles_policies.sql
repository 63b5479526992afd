-- 0003: roles, customer managed policies and their versions, inline
-- policies and policy attachments, with their change-feed triggers. The
-- conventions of 0001 apply (name_lower, nanosecond times, RESTRICT).
--
-- Inline policies and attachments live in one table per owner kind so that
-- each row has a real foreign key to its owner: a user, group or role
-- cannot be deleted while it still has them.

CREATE TABLE roles (
	id                   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id           TEXT COLLATE "C" NOT NULL,
	name                 TEXT COLLATE "C" NOT NULL,
	name_lower           TEXT COLLATE "C" NOT NULL,
	path                 TEXT COLLATE "C" NOT NULL,
	create_date          BIGINT NOT NULL,
	-- The trust policy exactly as submitted: AWS returns it verbatim.
	assume_role_policy   TEXT COLLATE "C" NOT NULL,
	description          TEXT COLLATE "C" NOT NULL DEFAULT '',
	max_session_duration BIGINT NOT NULL,
	permissions_boundary TEXT COLLATE "C" NOT NULL DEFAULT '',
	tags                 TEXT COLLATE "C" NOT NULL DEFAULT '[]',
	last_used_date       BIGINT NOT NULL DEFAULT 0,
	last_used_region     TEXT COLLATE "C" NOT NULL DEFAULT ''
);

CREATE UNIQUE INDEX roles_account_name ON roles (account_id, name_lower);
CREATE INDEX roles_boundary ON roles (permissions_boundary) WHERE permissions_boundary <> '';
CREATE INDEX users_boundary ON users (permissions_boundary) WHERE permissions_boundary <> '';

CREATE TABLE policies (
	id                 TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id         TEXT COLLATE "C" NOT NULL,
	name               TEXT COLLATE "C" NOT NULL,
	name_lower         TEXT COLLATE "C" NOT NULL,
	path               TEXT COLLATE "C" NOT NULL,
	description        TEXT COLLATE "C" NOT NULL DEFAULT '',
	create_date        BIGINT NOT NULL,
	update_date        BIGINT NOT NULL,
	default_version_id TEXT COLLATE "C" NOT NULL,
	-- Version IDs are never reused, even after a version is deleted, so
	-- the counter is kept rather than derived from the versions left.
	next_version       BIGINT NOT NULL,
	tags               TEXT COLLATE "C" NOT NULL DEFAULT '[]'
);

-- Policy names are unique per account whatever their path, as in AWS.
CREATE UNIQUE INDEX policies_account_name ON policies (account_id, name_lower);

CREATE TABLE policy_versions (
	policy_id   TEXT COLLATE "C" NOT NULL REFERENCES policies (id) ON DELETE RESTRICT,
	version_id  TEXT COLLATE "C" NOT NULL,
	-- The numeric part of version_id, for ordering v10 after v9.
	version_num BIGINT NOT NULL,
	document    TEXT COLLATE "C" NOT NULL,
	create_date BIGINT NOT NULL,
	PRIMARY KEY (policy_id, version_id)
);

CREATE TABLE user_policies (
	owner_id   TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
	name       TEXT COLLATE "C" NOT NULL,
	name_lower TEXT COLLATE "C" NOT NULL,
	document   TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (owner_id, name_lower)
);

CREATE TABLE group_policies (
	owner_id   TEXT COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE RESTRICT,
	name       TEXT COLLATE "C" NOT NULL,
	name_lower TEXT COLLATE "C" NOT NULL,
	document   TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (owner_id, name_lower)
);

CREATE TABLE role_policies (
	owner_id   TEXT COLLATE "C" NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
	name       TEXT COLLATE "C" NOT NULL,
	name_lower TEXT COLLATE "C" NOT NULL,
	document   TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (owner_id, name_lower)
);

-- Attachments name the policy by ARN because AWS managed policies are not
-- rows; the domain layer checks that the policy exists.
CREATE TABLE user_attachments (
	owner_id   TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
	policy_arn TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (owner_id, policy_arn)
);
CREATE INDEX user_attachments_policy ON user_attachments (policy_arn);

CREATE TABLE group_attachments (
	owner_id   TEXT COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE RESTRICT,
	policy_arn TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (owner_id, policy_arn)
);
CREATE INDEX group_attachments_policy ON group_attachments (policy_arn);

CREATE TABLE role_attachments (
	owner_id   TEXT COLLATE "C" NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
	policy_arn TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (owner_id, policy_arn)
);
CREATE INDEX role_attachments_policy ON role_attachments (policy_arn);

-- Change feed. A version change names its policy (the policy and all its
-- versions are reloaded together); an inline policy or attachment change
-- names its owner, whose whole set is reloaded.

CREATE TRIGGER roles_changed AFTER INSERT OR UPDATE OR DELETE ON roles
	FOR EACH ROW EXECUTE FUNCTION record_change('role', 'id');
CREATE TRIGGER policies_changed AFTER INSERT OR UPDATE OR DELETE ON policies
	FOR EACH ROW EXECUTE FUNCTION record_change('policy', 'id');
CREATE TRIGGER policy_versions_changed AFTER INSERT OR UPDATE OR DELETE ON policy_versions
	FOR EACH ROW EXECUTE FUNCTION record_change('policy', 'policy_id');
CREATE TRIGGER user_policies_changed AFTER INSERT OR UPDATE OR DELETE ON user_policies
	FOR EACH ROW EXECUTE FUNCTION record_change('userpolicy', 'owner_id');
CREATE TRIGGER group_policies_changed AFTER INSERT OR UPDATE OR DELETE ON group_policies
	FOR EACH ROW EXECUTE FUNCTION record_change('grouppolicy', 'owner_id');
CREATE TRIGGER role_policies_changed AFTER INSERT OR UPDATE OR DELETE ON role_policies
	FOR EACH ROW EXECUTE FUNCTION record_change('rolepolicy', 'owner_id');
CREATE TRIGGER user_attachments_changed AFTER INSERT OR DELETE ON user_attachments
	FOR EACH ROW EXECUTE FUNCTION record_change('userattachment', 'owner_id');
CREATE TRIGGER group_attachments_changed AFTER INSERT OR DELETE ON group_attachments
	FOR EACH ROW EXECUTE FUNCTION record_change('groupattachment', 'owner_id');
CREATE TRIGGER role_attachments_changed AFTER INSERT OR DELETE ON role_attachments
	FOR EACH ROW EXECUTE FUNCTION record_change('roleattachment', 'owner_id');










CREATE TABLE instance_profiles (
	id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id  TEXT COLLATE "C" NOT NULL,
	name        TEXT COLLATE "C" NOT NULL,
	name_lower  TEXT COLLATE "C" NOT NULL,
	path        TEXT COLLATE "C" NOT NULL,
	create_date BIGINT NOT NULL,
	tags        TEXT COLLATE "C" NOT NULL DEFAULT '[]'
);

CREATE UNIQUE INDEX instance_profiles_account_name ON instance_profiles (account_id, name_lower);

CREATE TABLE instance_profile_roles (
	profile_id TEXT COLLATE "C" NOT NULL REFERENCES instance_profiles (id) ON DELETE RESTRICT,
	role_id    TEXT COLLATE "C" NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
	PRIMARY KEY (profile_id, role_id)
);

-- InstanceProfilesForRole and the roles-side foreign key check search by role.
CREATE INDEX instance_profile_roles_role ON instance_profile_roles (role_id, profile_id);

-- A profile's roles are part of the profile: a role change names the profile.
CREATE TRIGGER instance_profiles_changed AFTER INSERT OR UPDATE OR DELETE ON instance_profiles
	FOR EACH ROW EXECUTE FUNCTION record_change('instanceprofile', 'id');
CREATE TRIGGER instance_profile_roles_changed AFTER INSERT OR DELETE ON instance_profile_roles
	FOR EACH ROW EXECUTE FUNCTION record_change('instanceprofile', 'profile_id');
