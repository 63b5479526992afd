-- 0002: the change feed. Every committed write to an entity table appends
-- (kind, entity id) here, in the same transaction, through triggers: the Go
-- code cannot forget to record a change. Nodes keep their in-memory state
-- (credentials, principals, listings) current by reading the feed after
-- their last applied revision and reloading what it names.
--
-- AUTOINCREMENT: revisions only grow and are never reused, even after the
-- newest rows are pruned, so a node's "last applied" mark stays meaningful.

CREATE TABLE changes (
	revision  INTEGER PRIMARY KEY AUTOINCREMENT,
	kind      TEXT NOT NULL,
	entity_id TEXT NOT NULL
) STRICT;

CREATE TRIGGER accounts_changed_ins AFTER INSERT ON accounts BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('account', NEW.id);
END;
CREATE TRIGGER accounts_changed_upd AFTER UPDATE ON accounts BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('account', NEW.id);
END;
CREATE TRIGGER accounts_changed_del AFTER DELETE ON accounts BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('account', OLD.id);
END;

CREATE TRIGGER users_changed_ins AFTER INSERT ON users BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('user', NEW.id);
END;
CREATE TRIGGER users_changed_upd AFTER UPDATE ON users BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('user', NEW.id);
END;
CREATE TRIGGER users_changed_del AFTER DELETE ON users BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('user', OLD.id);
END;

CREATE TRIGGER groups_changed_ins AFTER INSERT ON groups BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('group', NEW.id);
END;
CREATE TRIGGER groups_changed_upd AFTER UPDATE ON groups BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('group', NEW.id);
END;
CREATE TRIGGER groups_changed_del AFTER DELETE ON groups BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('group', OLD.id);
END;

-- A membership change names the user: its whole group set is reloaded.
CREATE TRIGGER group_members_changed_ins AFTER INSERT ON group_members BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('membership', NEW.user_id);
END;
CREATE TRIGGER group_members_changed_del AFTER DELETE ON group_members BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('membership', OLD.user_id);
END;

CREATE TRIGGER access_keys_changed_ins AFTER INSERT ON access_keys BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('accesskey', NEW.id);
END;
CREATE TRIGGER access_keys_changed_upd AFTER UPDATE ON access_keys BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('accesskey', NEW.id);
END;
CREATE TRIGGER access_keys_changed_del AFTER DELETE ON access_keys BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('accesskey', OLD.id);
END;
