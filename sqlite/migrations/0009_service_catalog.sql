-- 0009: custom service definitions (iam/store_catalog.go). Deployment-wide,
-- keyed by the lower-case service prefix; document is the validated JSON
-- definition. Every node keeps them in memory, so writes are on the change
-- feed (kind 'servicedefinition', entity id the prefix).

CREATE TABLE service_definitions (
	prefix      TEXT NOT NULL PRIMARY KEY,
	document    TEXT NOT NULL,
	create_date INTEGER NOT NULL,
	update_date INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TRIGGER service_definitions_changed_ins AFTER INSERT ON service_definitions BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('servicedefinition', NEW.prefix);
END;
CREATE TRIGGER service_definitions_changed_upd AFTER UPDATE ON service_definitions BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('servicedefinition', NEW.prefix);
END;
CREATE TRIGGER service_definitions_changed_del AFTER DELETE ON service_definitions BEGIN
	INSERT INTO changes (kind, entity_id) VALUES ('servicedefinition', OLD.prefix);
END;
