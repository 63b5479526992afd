package authzapi

import (
	"sync"

	"github.com/iamd/iamd/iam"
)

// callerCache remembers, per long-term access key, that its caller was
// allowed iamd:Authorize, so that a calling service's steady stream of
// requests does not evaluate its own policies every time. An entry
// applies only while everything that decision depended on is unchanged:
//
//   - the credential: the key is still looked up on every request
//     (iam.Service.Authenticate), so a deactivated or deleted key fails as
//     before, and a key whose credential was replaced misses;
//   - iam's authorization revision (iam.Service.AuthzRevision), which moves
//     with every applied change that can alter a decision (policies,
//     attachments, groups, tags, boundaries), from this node or another;
//   - the request context the caller's policies can test: the second
//     (aws:CurrentTime and aws:EpochTime have one-second resolution), the
//     source address, the user agent and TLS.
//
// Session credentials are not cached: their context has values that move
// on their own (aws:MultiFactorAuthAge). Denials are not cached either.
type callerCache struct {
	m sync.Map // access key ID -> *callerEntry
	n sync.Mutex
	// size counts stores, to drop everything now and then rather than let
	// keys that are no longer used accumulate.
	size int
}

// callerCacheMax bounds the entries kept; past it the cache starts over.
const callerCacheMax = 4096

type callerEntry struct {
	cred      *iam.Credential
	rev       int64
	second    int64
	sourceIP  string
	userAgent string
	secure    bool
	// principal is the caller with its request, shared by the requests
	// the entry serves: nothing downstream modifies it, and what differs
	// between them (the time within the second) is not read from it.
	principal *iam.Principal
}

// get returns the cached caller for a request, or nil.
func (c *callerCache) get(keyID string, cred *iam.Credential, rev, second int64, sourceIP, userAgent string, secure bool) *iam.Principal {
	v, ok := c.m.Load(keyID)
	if !ok {
		return nil
	}
	e := v.(*callerEntry)
	if e.cred != cred || e.rev != rev || e.second != second || e.sourceIP != sourceIP || e.userAgent != userAgent || e.secure != secure {
		return nil
	}
	return e.principal
}

func (c *callerCache) put(keyID string, e *callerEntry) {
	c.n.Lock()
	c.size++
	if c.size > callerCacheMax {
		c.m.Clear()
		c.size = 0
	}
	c.n.Unlock()
	c.m.Store(keyID, e)
}
