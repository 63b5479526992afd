-- 0009: custom service definitions (iam/store_catalog.go). Deployment-wide,
-- keyed by the lower-case service prefix; document is the validated JSON
-- definition. Every node keeps them in memory, so writes are on the change
-- feed (kind 'servicedefinition', entity id the prefix).

CREATE TABLE service_definitions (
	prefix      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	document    TEXT COLLATE "C" NOT NULL,
	create_date BIGINT NOT NULL,
	update_date BIGINT NOT NULL
);

CREATE TRIGGER service_definitions_changed AFTER INSERT OR UPDATE OR DELETE ON service_definitions
	FOR EACH ROW EXECUTE FUNCTION record_change('servicedefinition', 'prefix');
