// Package awsmanaged is the read-only catalog of AWS managed policies
// (arn:aws:iam::aws:policy/...), embedded from data/policies.json.gz (see
// data/README.md for its source and licence). It is parsed on first use,
// once, so a process that never lists or attaches AWS policies pays
// nothing for it.
package awsmanaged

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

//go:embed data/policies.json.gz
var catalogGz []byte

// ARNPrefix starts the ARN of every AWS managed policy.
const ARNPrefix = "arn:aws:iam::aws:policy"

// Policy is one AWS managed policy. Only its default version is known.
type Policy struct {
	Name             string
	ARN              string
	Path             string
	ID               string // ANPA + 17, stable for the name
	DefaultVersionID string
	VersionsCount    int
	CreateDate       time.Time
	UpdateDate       time.Time
	Document         string // the default version's document, compact JSON
}

type entry struct {
	Name             string          `json:"name"`
	ARN              string          `json:"arn"`
	Path             string          `json:"path"`
	DefaultVersionID string          `json:"defaultVersionId"`
	VersionsCount    int             `json:"versionsCount"`
	CreateDate       time.Time       `json:"createDate"`
	UpdateDate       time.Time       `json:"updateDate"`
	Document         json.RawMessage `json:"document"`
}

type catalog struct {
	sorted []*Policy // by lower-cased name, then ARN
	byARN  map[string]*Policy
}

var load = sync.OnceValues(func() (*catalog, error) { return parse(catalogGz) })

func parse(gz []byte) (*catalog, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("awsmanaged: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("awsmanaged: %w", err)
	}
	var entries []entry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("awsmanaged: %w", err)
	}
	c := &catalog{byARN: make(map[string]*Policy, len(entries))}
	for _, e := range entries {
		p := &Policy{
			Name: e.Name, ARN: e.ARN, Path: e.Path, ID: policyID(e.Name),
			DefaultVersionID: e.DefaultVersionID, VersionsCount: e.VersionsCount,
			CreateDate: e.CreateDate.UTC(), UpdateDate: e.UpdateDate.UTC(), Document: string(e.Document),
		}
		if p.Path == "" {
			p.Path = "/"
		}
		c.byARN[p.ARN] = p
		c.sorted = append(c.sorted, p)
	}
	slices.SortFunc(c.sorted, func(a, b *Policy) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ARN, b.ARN))
	})
	return c, nil
}

// idAlphabet is the base32 alphabet AWS uses in unique IDs.
const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// policyID derives a stable ID from the name, so that the ID a client saw
// yesterday (and perhaps wrote into a policy condition) is the same today
// and on every iamd. AWS's real IDs are not published with the catalog.
func policyID(name string) string {
	sum := sha256.Sum256([]byte("aws-managed-policy:" + name))
	out := []byte("ANPA")
	for _, b := range sum[:17] {
		out = append(out, idAlphabet[b&31])
	}
	return string(out)
}

// IsAWSManaged reports whether arn names an AWS managed policy (whether or
// not the catalog has it).
func IsAWSManaged(arn string) bool { return strings.HasPrefix(arn, ARNPrefix+"/") }

// Lookup returns the AWS managed policy with the ARN, or nil.
func Lookup(arn string) *Policy {
	if !IsAWSManaged(arn) {
		return nil
	}
	c, err := load()
	if err != nil {
		return nil
	}
	return c.byARN[arn]
}

// All returns every AWS managed policy ordered by lower-cased name, then
// ARN. The slice and the policies are shared: do not modify them.
func All() []*Policy {
	c, err := load()
	if err != nil {
		return nil
	}
	return c.sorted
}

// Err reports whether the embedded catalog failed to load; tests and the
// server's start-up check call it so a broken build fails loudly.
func Err() error {
	_, err := load()
	return err
}
