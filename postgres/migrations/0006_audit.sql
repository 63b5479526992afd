-- 0006: the audit trail (package audit). Events are append-only rows of
-- canonical CloudTrail JSON, hash-chained by seq; the other columns are
-- derived from body for LookupEvents and export, and checked against it by
-- `iamd audit verify`. Not part of the change feed: no node caches events.

CREATE TABLE audit_events (
	seq          BIGINT NOT NULL PRIMARY KEY,
	prev_hash    BYTEA NOT NULL,
	hash         BYTEA NOT NULL,
	body         TEXT COLLATE "C" NOT NULL,
	event_time   BIGINT NOT NULL, -- Unix seconds
	account_id   TEXT COLLATE "C" NOT NULL,
	event_id     TEXT COLLATE "C" NOT NULL,
	event_name   TEXT COLLATE "C" NOT NULL,
	event_source TEXT COLLATE "C" NOT NULL,
	username     TEXT COLLATE "C" NOT NULL,
	access_key   TEXT COLLATE "C" NOT NULL,
	read_only    BOOLEAN NOT NULL,
	-- "\nType\tName" per resource, then "\n"
	resources    TEXT COLLATE "C" NOT NULL
);

CREATE INDEX audit_events_account_time ON audit_events (account_id, event_time);
CREATE INDEX audit_events_event_id ON audit_events (event_id);

-- Signed digests: "event seq has hash"; kept when events are pruned, so a
-- pruned trail still starts at a signed anchor.
CREATE TABLE audit_digests (
	seq       BIGINT NOT NULL PRIMARY KEY,
	hash      BYTEA NOT NULL,
	time      TEXT COLLATE "C" NOT NULL, -- RFC 3339, nanoseconds, as signed
	signature BYTEA NOT NULL
);
