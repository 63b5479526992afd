package servicecatalog

import (
	"runtime"
	"slices"
	"testing"
)

func TestAWSCatalog(t *testing.T) {
	c := AWS()
	if err := c.Load(); err != nil {
		t.Fatalf("Load: %v", err)
	}
	ps := c.ServicePrefixes()
	if len(ps) < 400 || !slices.IsSorted(ps) {
		t.Fatalf("ServicePrefixes: %d prefixes, sorted %v; want > 400, sorted", len(ps), slices.IsSorted(ps))
	}
	names := []struct{ prefix, want string }{
		{"iam", "AWS Identity and Access Management (IAM)"},
		{"IAM", "AWS Identity and Access Management (IAM)"},
		{"sts", "AWS Security Token Service"},
		{"s3", "Amazon S3"},
	}
	for _, tt := range names {
		got, ok := c.ServiceName(tt.prefix)
		if !ok || got != tt.want {
			t.Errorf("ServiceName(%q) = %q, %v; want %q", tt.prefix, got, ok, tt.want)
		}
	}
	if _, ok := c.ServiceName("nosuchservice"); ok {
		t.Error("ServiceName(nosuchservice) found")
	}

	actions := []struct {
		action, name, level string
		resource, arn       string
	}{
		{"iam:PassRole", "PassRole", "Write", "role", "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"},
		{"IAM:passrole", "PassRole", "Write", "role", "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"},
		{"s3:GetObject", "GetObject", "Read", "object", "arn:${Partition}:s3:::${BucketName}/${ObjectName}"},
		{"iam:AttachRolePolicy", "AttachRolePolicy", "Permissions management, Write", "role", "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"},
		{"sts:GetCallerIdentity", "GetCallerIdentity", "Read", "", ""},
	}
	for _, tt := range actions {
		s, a, ok := c.Action(tt.action)
		if !ok {
			t.Errorf("Action(%q) not found", tt.action)
			continue
		}
		if a.Name != tt.name || a.AccessLevel != tt.level {
			t.Errorf("Action(%q) = %s %q; want %s %q", tt.action, a.Name, a.AccessLevel, tt.name, tt.level)
		}
		if tt.resource == "" {
			if len(a.ResourceTypes) != 0 {
				t.Errorf("Action(%q) resource types %v; want none", tt.action, a.ResourceTypes)
			}
			continue
		}
		found := false
		for _, r := range a.ResourceTypes {
			if r.Name == tt.resource {
				found = true
				rt, ok := s.ResourceType(r.Name)
				if !ok || rt.ARN != tt.arn {
					t.Errorf("ResourceType(%q) = %+v; want ARN %q", r.Name, rt, tt.arn)
				}
			}
		}
		if !found {
			t.Errorf("Action(%q) resource types %v; want %q", tt.action, a.ResourceTypes, tt.resource)
		}
	}
	if _, _, ok := c.Action("iam:PassRoles"); ok {
		t.Error("Action(iam:PassRoles) found")
	}
	iam, _ := c.Service("iam")
	for _, k := range []string{"iam:PassedToService", "IAM:passedtoservice", "aws:ResourceTag/team"} {
		if !iam.HasConditionKey(k) {
			t.Errorf("iam.HasConditionKey(%q) = false", k)
		}
	}
	if iam.HasConditionKey("iam:NoSuchKey") {
		t.Error("iam.HasConditionKey(iam:NoSuchKey) = true")
	}
}

func TestMatchActions(t *testing.T) {
	c := AWS()
	tests := []struct {
		pattern  string
		contains []string
		min, max int
	}{
		{"iam:PassRole", []string{"iam:PassRole"}, 1, 1},
		{"iam:pass*", []string{"iam:PassRole"}, 1, 1},
		{"sts:Assume*", []string{"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"}, 3, 10},
		{"s?s:GetCallerIdentity", []string{"sts:GetCallerIdentity"}, 1, 1},
		{"iam:NoSuch*", nil, 0, 0},
		{"nosuch:*", nil, 0, 0},
	}
	for _, tt := range tests {
		got, all := c.MatchActions(tt.pattern)
		if all || len(got) < tt.min || len(got) > tt.max {
			t.Errorf("MatchActions(%q) = %d actions (all %v); want %d..%d", tt.pattern, len(got), all, tt.min, tt.max)
		}
		for _, w := range tt.contains {
			if !slices.Contains(got, w) {
				t.Errorf("MatchActions(%q) lacks %s", tt.pattern, w)
			}
		}
	}
	if _, all := c.MatchActions("*"); !all {
		t.Error(`MatchActions("*") all = false`)
	}
}

func TestWithCustom(t *testing.T) {
	def := mustParse(t, exampleDefinition)
	aws := AWS()
	c := aws.WithCustom([]*Service{def, {Prefix: "iam", Name: "Impostor"}})
	if n, ok := c.ServiceName("orders"); !ok || n != "Example Orders" {
		t.Errorf("ServiceName(orders) = %q, %v", n, ok)
	}
	if n, _ := c.ServiceName("iam"); n == "Impostor" {
		t.Error("a custom service replaced an AWS service")
	}
	if !slices.Contains(c.ServicePrefixes(), "orders") || !slices.IsSorted(c.ServicePrefixes()) {
		t.Error("ServicePrefixes lacks orders or is unsorted")
	}
	if slices.Contains(aws.ServicePrefixes(), "orders") {
		t.Error("WithCustom modified the AWS catalog")
	}
	if _, a, ok := c.Action("Orders:getorder"); !ok || a.Name != "GetOrder" {
		t.Errorf("Action(Orders:getorder) = %v, %v", a, ok)
	}
}

func TestKeyPattern(t *testing.T) {
	tests := []struct {
		pattern, key string
		want         bool
	}{
		{"aws:RequestTag/${TagKey}", "aws:RequestTag/team", true},
		{"aws:RequestTag/${TagKey}", "AWS:requesttag/Team", true},
		{"aws:RequestTag/${TagKey}", "aws:RequestTag/", false},
		{"aws:RequestTag/${TagKey}", "aws:RequestTags/x", false},
		{"codebuild:fileSystemLocations/${identifier}.type", "codebuild:fileSystemLocations/fs1.type", true},
		{"codebuild:fileSystemLocations/${identifier}.type", "codebuild:fileSystemLocations/fs1.location", false},
		{"iam:PassedToService", "iam:PassedToService", true},
		{"iam:PassedToService", "iam:PassedToServices", false},
		{"a:${X}/${Y}", "a:p/q", true},
		{"a:${X}/${Y}", "a:p/", false},
		{"s3:ExistingObjectTag/<key>", "s3:ExistingObjectTag/team", true},
		{"s3:ExistingObjectTag/<key>", "s3:ExistingObjectTag", false},
	}
	for _, tt := range tests {
		if got := compileKey(tt.pattern).match(tt.key); got != tt.want {
			t.Errorf("compileKey(%q).match(%q) = %v; want %v", tt.pattern, tt.key, got, tt.want)
		}
	}
}

func TestOverlap(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"arn:aws:s3:::bucket/key", "arn:*:s3:::*/*", true},
		{"arn:aws:s3:::bucket", "arn:*:s3:::*/*", false},
		{"arn:aws:s3:::bucket*", "arn:*:s3:::*/*", true},
		{"arn:aws:s3:::b?cket/x", "arn:*:s3:::*/*", true},
		{"arn:aws:iam::123456789012:role/x", "arn:*:iam::*:user/*", false},
		{"arn:aws:iam::123456789012:*", "arn:*:iam::*:user/*", true},
		{"arn:aws:s3:us-east-1::bucket", "arn:*:s3:::*", false},
		{"", "", true},
		{"*", "", true},
		{"a", "", false},
	}
	for _, tt := range tests {
		if got := overlap(tt.a, tt.b); got != tt.want {
			t.Errorf("overlap(%q, %q) = %v; want %v", tt.a, tt.b, got, tt.want)
		}
		if got := overlap(tt.b, tt.a); got != tt.want {
			t.Errorf("overlap(%q, %q) = %v; want %v (swapped)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestWildMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"*", "abc", true}, {"a*c", "abbbc", true}, {"a*c", "abd", false},
		{"A?C", "abc", true}, {"a?c", "ac", false}, {"*role", "PassRole", true}, {"", "", true}, {"", "a", false},
		{"a*b*c", "aXbYc", true}, {"a*b*c", "aXcYb", false},
	}
	for _, tt := range tests {
		if got := wildMatch(tt.p, tt.s); got != tt.want {
			t.Errorf("wildMatch(%q, %q) = %v; want %v", tt.p, tt.s, got, tt.want)
		}
	}
}

// BenchmarkLoad measures decoding the embedded data from scratch: the
// index (decompression and line split) alone, and every service.
func BenchmarkLoad(b *testing.B) {
	b.Run("index", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := decodeIndex(awsData); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("all", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c := &Catalog{aws: &awsCatalog{}}
			if err := c.Load(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestLoadMemory reports the heap the fully decoded catalog holds; it
// fails if that grows past a budget, so a data or format change that
// bloats memory is noticed.
func TestLoadMemory(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c := &Catalog{aws: &awsCatalog{}}
	if err := c.Load(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("fully decoded catalog: %.1f MiB of heap", float64(heap)/(1<<20))
	if heap > 64<<20 {
		t.Errorf("fully decoded catalog holds %d bytes; budget 64 MiB", heap)
	}
	runtime.KeepAlive(c)
}

func BenchmarkLookup(b *testing.B) {
	c := AWS()
	if err := c.Load(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := c.Action("S3:GetObject"); !ok {
			b.Fatal("not found")
		}
	}
}

// Concurrent first use decodes each service once and safely (run with
// -race).
func TestConcurrentFirstUse(t *testing.T) {
	c := &Catalog{aws: &awsCatalog{}}
	done := make(chan *Service, 8)
	for range 8 {
		go func() {
			s, _ := c.Service("ec2")
			c.ServicePrefixes()
			done <- s
		}()
	}
	first := <-done
	for range 7 {
		if s := <-done; s != first || s == nil {
			t.Fatalf("concurrent Service(ec2) returned %p and %p", first, s)
		}
	}
}

func TestLiveNames(t *testing.T) {
	l := NewLive(AWS())
	if n, _ := l.ServiceName("iam"); n != "AWS Identity and Access Management" {
		t.Errorf("Live.ServiceName(iam) = %q", n)
	}
	if n, _ := l.ServiceName("sts"); n != "AWS Security Token Service" {
		t.Errorf("Live.ServiceName(sts) = %q", n)
	}
	l.SetCustom([]*Service{mustParse(t, exampleDefinition)})
	if n, ok := l.ServiceName("orders"); !ok || n != "Example Orders" {
		t.Errorf("Live.ServiceName(orders) = %q, %v", n, ok)
	}
	l.SetCustom(nil)
	if _, ok := l.ServiceName("orders"); ok {
		t.Error("orders still named after SetCustom(nil)")
	}
}
