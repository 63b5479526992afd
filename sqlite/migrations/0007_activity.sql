-- 0007: access advisor records and generated reports (iam/store_activity.go).
-- Written in batches by the background flush, never on the request path;
-- not part of the change feed: no node caches them.

CREATE TABLE service_access (
	account_id    TEXT NOT NULL,
	entity_arn    TEXT NOT NULL, -- user, role, group or managed policy
	principal_arn TEXT NOT NULL, -- the user or role that was allowed
	action        TEXT NOT NULL, -- "service:Action"
	time          INTEGER NOT NULL, -- Unix nanoseconds
	region        TEXT NOT NULL,
	PRIMARY KEY (account_id, entity_arn, principal_arn, action)
) STRICT;

CREATE TABLE reports (
	id         TEXT NOT NULL PRIMARY KEY,
	account_id TEXT NOT NULL,
	kind       TEXT NOT NULL,
	created    INTEGER NOT NULL, -- Unix nanoseconds
	body       BLOB NOT NULL
) STRICT;

CREATE INDEX reports_created ON reports (created);
