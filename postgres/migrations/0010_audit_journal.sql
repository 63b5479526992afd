-- 0010: the audit journal (iam/store_journal.go, audit/journal.go). A
-- mutation's transaction stores its request's audit event as known before
-- the result (payload: canonical JSON, already redacted); the audit writer
-- appends the final event and the trigger below deletes the intent in that
-- same transaction, so an intent outlives its request only when the final
-- event never came (crash, failed audit write), and the writer then
-- appends the intent itself. Rows live for milliseconds: no index beyond
-- the key, the recovery scan reads the whole (tiny) table.

CREATE TABLE audit_journal (
	event_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	created  BIGINT NOT NULL, -- Unix nanoseconds
	payload  BYTEA NOT NULL
);

CREATE FUNCTION settle_audit_journal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM audit_journal WHERE event_id = NEW.event_id;
	RETURN NULL;
END;
$$;

-- Read-only calls never journal, so their (many) events skip the delete.
CREATE TRIGGER audit_events_settle_journal AFTER INSERT ON audit_events
	FOR EACH ROW WHEN (NOT NEW.read_only) EXECUTE FUNCTION settle_audit_journal();
