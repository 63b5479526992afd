package servicecatalog

import (
	"strings"
	"sync/atomic"
)

// Live is a catalog whose custom services change at run time: iamd's
// service holds one and replaces the custom services whenever a definition
// is put or deleted on any node. It implements iam.ServiceCatalog (names
// and prefixes for the access advisor) and is safe for concurrent use.
type Live struct {
	base *Catalog
	cur  atomic.Pointer[Catalog]
}

// NewLive returns a Live catalog over base, with no custom services yet.
func NewLive(base *Catalog) *Live {
	l := &Live{base: base}
	l.cur.Store(base)
	return l
}

// Catalog returns the current catalog; it does not change afterwards.
func (l *Live) Catalog() *Catalog { return l.cur.Load() }

// SetCustom replaces the custom services.
func (l *Live) SetCustom(custom []*Service) { l.cur.Store(l.base.WithCustom(custom)) }

// advisorNames are the access advisor's names where they differ from the
// reference's page titles: AWS's example output of
// get-service-last-accessed-details names iam "AWS Identity and Access
// Management", the reference "... (IAM)".
var advisorNames = map[string]string{"iam": "AWS Identity and Access Management"}

// ServiceName returns the name of the service with the prefix, as the
// access advisor reports it.
func (l *Live) ServiceName(prefix string) (string, bool) {
	if n, ok := advisorNames[strings.ToLower(prefix)]; ok {
		return n, true
	}
	return l.cur.Load().ServiceName(prefix)
}

// ServicePrefixes returns every prefix, sorted; callers must not modify it.
func (l *Live) ServicePrefixes() []string { return l.cur.Load().ServicePrefixes() }
