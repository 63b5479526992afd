package iam

import "time"

// ActivityTx stores what the access advisor and the credential report are
// made of: service last-accessed records and generated reports. Neither is
// part of the change feed: no node keeps them in memory.
type ActivityTx interface {
	// PutServiceAccess upserts each record by (AccountID, EntityARN,
	// PrincipalARN, Action), keeping the newer Time (and its Region) when
	// a row exists.
	PutServiceAccess(recs []ServiceAccess) error
	// ServiceAccess lists the records of one entity (a user, group, role or
	// managed policy ARN), in no particular order.
	ServiceAccess(accountID, entityARN string) ([]ServiceAccess, error)
	// PutReport inserts or replaces the report with r.ID.
	PutReport(r *Report) error
	// Report returns the report with the ID; ErrNotFound.
	Report(id string) (*Report, error)
	// DeleteReportsBefore removes reports created before t.
	DeleteReportsBefore(t time.Time) error
}

// ServiceAccess is one "last accessed" record: PrincipalARN (a user or
// role) was last allowed Action ("iam:GetUser") at Time in Region, through
// EntityARN. EntityARN is the principal itself, or one of the groups or
// managed policies whose statements allowed the request.
type ServiceAccess struct {
	AccountID    string
	EntityARN    string
	PrincipalARN string
	Action       string // "service:Action" as authorized
	Time         time.Time
	Region       string
}

// Report is a generated report: a credential report or an access advisor
// job's result. Body is opaque to the store.
type Report struct {
	ID        string
	AccountID string
	Kind      string
	Created   time.Time
	Body      []byte
}
