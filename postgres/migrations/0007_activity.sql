-- 0007: access advisor records and generated reports (iam/store_activity.go).
-- Written in batches by the background flush, never on the request path;
-- not part of the change feed: no node caches them.

CREATE TABLE service_access (
	account_id    TEXT COLLATE "C" NOT NULL,
	entity_arn    TEXT COLLATE "C" NOT NULL, -- user, role, group or managed policy
	principal_arn TEXT COLLATE "C" NOT NULL, -- the user or role that was allowed
	action        TEXT COLLATE "C" NOT NULL, -- "service:Action"
	time          BIGINT NOT NULL, -- Unix nanoseconds
	region        TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (account_id, entity_arn, principal_arn, action)
);

CREATE TABLE reports (
	id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id TEXT COLLATE "C" NOT NULL,
	kind       TEXT COLLATE "C" NOT NULL,
	created    BIGINT NOT NULL, -- Unix nanoseconds
	body       BYTEA NOT NULL
);

CREATE INDEX reports_created ON reports (created);
