-- 0002: the change feed, as in sqlite/migrations/0002. Every committed
-- write to an entity table appends (revision, kind, entity id) here, in
-- the same transaction, through triggers: the Go code cannot forget to
-- record a change.
--
-- Revisions come from the one-row change_revision table, not from a
-- sequence: a sequence is not transactional, so a reader could see a
-- revision handed out to a transaction that has not committed (or rolled
-- back), and a node could record itself as past a change it never saw.
-- The counter row is updated under the row lock of the writing
-- transaction; Store.Update also serializes writers, so revisions become
-- visible in order and are never reused, even after pruning.
--
-- Each recorded change also calls pg_notify on channel iamd_changes. The
-- notification is delivered when (and only if) the transaction commits,
-- and identical notifications of one transaction are folded into one, so
-- a transaction wakes the other nodes once.

CREATE TABLE change_revision (
	id       BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
	revision BIGINT NOT NULL
);
INSERT INTO change_revision (id, revision) VALUES (1, 0);

CREATE TABLE changes (
	revision  BIGINT NOT NULL PRIMARY KEY,
	kind      TEXT COLLATE "C" NOT NULL,
	entity_id TEXT COLLATE "C" NOT NULL
);

-- record_change(kind, id column): a row trigger naming the change's kind
-- and the column of the row that holds the entity ID.
CREATE FUNCTION record_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	rev bigint;
	eid text;
BEGIN
	IF TG_OP = 'DELETE' THEN
		eid := to_jsonb(OLD) ->> TG_ARGV[1];
	ELSE
		eid := to_jsonb(NEW) ->> TG_ARGV[1];
	END IF;
	UPDATE change_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision INTO rev;
	INSERT INTO changes (revision, kind, entity_id) VALUES (rev, TG_ARGV[0], eid);
	-- The payload names the schema: listeners in other schemas of the same
	-- database (other deployments, parallel test runs) ignore it.
	PERFORM pg_notify('iamd_changes', current_schema());
	RETURN NULL;
END;
$$;

CREATE TRIGGER accounts_changed AFTER INSERT OR UPDATE OR DELETE ON accounts
	FOR EACH ROW EXECUTE FUNCTION record_change('account', 'id');
CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE ON users
	FOR EACH ROW EXECUTE FUNCTION record_change('user', 'id');
CREATE TRIGGER groups_changed AFTER INSERT OR UPDATE OR DELETE ON groups
	FOR EACH ROW EXECUTE FUNCTION record_change('group', 'id');
-- A membership change names the user: its whole group set is reloaded.
CREATE TRIGGER group_members_changed AFTER INSERT OR DELETE ON group_members
	FOR EACH ROW EXECUTE FUNCTION record_change('membership', 'user_id');
CREATE TRIGGER access_keys_changed AFTER INSERT OR UPDATE OR DELETE ON access_keys
	FOR EACH ROW EXECUTE FUNCTION record_change('accesskey', 'id');
