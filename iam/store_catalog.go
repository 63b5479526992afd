package iam

import "time"

// ServiceCatalogTx is the part of Tx that stores custom service
// definitions (catalog.go). They are deployment-wide, like AWS's service
// prefixes, and few; every node keeps all of them in memory, following the
// change feed (kind ChangeServiceDefinition, entity ID the prefix).
type ServiceCatalogTx interface {
	// PutServiceDefinition creates the definition with d.Prefix, or
	// replaces its document and update date (keeping its create date).
	PutServiceDefinition(d *ServiceDefinition) error
	// ServiceDefinition returns the definition with the prefix (compared
	// exactly; prefixes are lower-case); ErrNotFound.
	ServiceDefinition(prefix string) (*ServiceDefinition, error)
	// ServiceDefinitions lists every definition ordered by prefix.
	ServiceDefinitions() ([]*ServiceDefinition, error)
	// DeleteServiceDefinition removes the definition; ErrNotFound.
	DeleteServiceDefinition(prefix string) error
}

// ServiceDefinition is a stored custom service definition: the JSON
// document in the format of package servicecatalog (validated before it
// is stored), kept as submitted.
type ServiceDefinition struct {
	Prefix     string
	Document   string
	CreateDate time.Time
	UpdateDate time.Time
}

// ChangeServiceDefinition is the change-feed kind of a custom service
// definition; the entity ID is the prefix.
const ChangeServiceDefinition ChangeKind = "servicedefinition"
