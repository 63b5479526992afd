-- 0011: packs of read-only audit events (sqlite/audit_pack.go). A group
-- commit stores each run of consecutive read-only events as ONE row here
-- instead of one row per event in audit_events: a row with two index
-- entries cost about 20 µs of CPU per event in this SQLite, twice the
-- budget an audited read has (docs/bench/audit.md). Mutations keep their
-- rows in audit_events (the journal trigger of 0010 needs them); together
-- the two tables hold the chain, without overlapping sequences. Existing
-- rows stay where they are. The columns summarize the pack so that scans
-- skip the packs that cannot match without reading their bodies; body
-- holds every record (hashes, canonical JSON, columns) and is the truth.

CREATE TABLE audit_packs (
	first_seq    INTEGER NOT NULL PRIMARY KEY,
	last_seq     INTEGER NOT NULL,
	last_hash    BLOB NOT NULL,    -- the chain head after this pack (AuditHead)
	min_time     INTEGER NOT NULL, -- Unix seconds, as audit_events.event_time
	max_time     INTEGER NOT NULL,
	-- Event IDs are time-ordered UUIDs (audit.NewEventID), so a pack's
	-- range is narrow and an EventId lookup decodes one pack or so.
	min_event_id TEXT NOT NULL,
	max_event_id TEXT NOT NULL,
	accounts     TEXT NOT NULL,    -- "\n" + each distinct account ID + "\n"
	format       INTEGER NOT NULL, -- encoding of body (audit_pack.go)
	body         BLOB NOT NULL     -- last: scans that filter out a pack never read it
) STRICT;
