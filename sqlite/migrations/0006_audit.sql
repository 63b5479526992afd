-- 0006: the audit trail (package audit). Events are append-only rows of
-- canonical CloudTrail JSON, hash-chained by seq; the other columns are
-- derived from body for LookupEvents and export, and checked against it by
-- `iamd audit verify`. Not part of the change feed: no node caches events.

CREATE TABLE audit_events (
	seq          INTEGER NOT NULL PRIMARY KEY,
	prev_hash    BLOB NOT NULL,
	hash         BLOB NOT NULL,
	body         TEXT NOT NULL,
	event_time   INTEGER NOT NULL, -- Unix seconds
	account_id   TEXT NOT NULL,
	event_id     TEXT NOT NULL,
	event_name   TEXT NOT NULL,
	event_source TEXT NOT NULL,
	username     TEXT NOT NULL,
	access_key   TEXT NOT NULL,
	read_only    INTEGER NOT NULL,
	-- "\nType\tName" per resource, then "\n"
	resources    TEXT NOT NULL
) STRICT;

CREATE INDEX audit_events_account_time ON audit_events (account_id, event_time);
CREATE INDEX audit_events_event_id ON audit_events (event_id);

-- Signed digests: "event seq has hash"; kept when events are pruned, so a
-- pruned trail still starts at a signed anchor.
CREATE TABLE audit_digests (
	seq       INTEGER NOT NULL PRIMARY KEY,
	hash      BLOB NOT NULL,
	time      TEXT NOT NULL, -- RFC 3339, nanoseconds, as signed
	signature BLOB NOT NULL
) STRICT;
