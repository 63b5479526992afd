package httpapi

import (
	"strings"
	"testing"
)

// TestCompatListingShapes checks members that AWS documents a listing to
// leave out or keep, one request per row, in order, against one account.
func TestCompatListingShapes(t *testing.T) {
	f := newAuditFixture(t, nil)
	const boundary = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	steps := []struct {
		name     string
		action   string
		params   []string
		want     []string // substrings the body must contain
		wantNot  []string // and must not
		wantCode int
	}{
		{"create user with boundary and tags", "CreateUser", []string{"UserName", "bob", "Path", "/b/", "PermissionsBoundary", boundary, "Tags.member.1.Key", "k", "Tags.member.1.Value", "v"},
			[]string{"<PermissionsBoundaryArn>" + boundary + "</PermissionsBoundaryArn>", "<Key>k</Key>"}, nil, 200},
		{"GetUser shows boundary and tags", "GetUser", []string{"UserName", "bob"},
			[]string{"<PermissionsBoundaryArn>" + boundary + "</PermissionsBoundaryArn>", "<Key>k</Key>"}, nil, 200},
		// ListUsers: "This operation does not return the following
		// attributes...: PermissionsBoundary, Tags".
		{"ListUsers leaves them out", "ListUsers", []string{"PathPrefix", "/b/"},
			[]string{"<UserName>bob</UserName>"}, []string{"PermissionsBoundary", "<Tags>"}, 200},
		{"create role with boundary", "CreateRole", []string{"RoleName", "r", "Path", "/b/", "AssumeRolePolicyDocument", goldenTrust, "PermissionsBoundary", boundary, "Tags.member.1.Key", "k", "Tags.member.1.Value", "v"},
			[]string{"<PermissionsBoundaryArn>"}, nil, 200},
		// ListRoles: "...PermissionsBoundary, RoleLastUsed, Tags".
		{"ListRoles leaves them out", "ListRoles", []string{"PathPrefix", "/b/"},
			[]string{"<RoleName>r</RoleName>"}, []string{"PermissionsBoundary", "<Tags>", "RoleLastUsed"}, 200},
	}
	for _, s := range steps {
		code, body, _ := f.do(t, rootCreds, "iam", iamForm(s.action, s.params...))
		if code != s.wantCode {
			t.Fatalf("%s: HTTP %d, want %d:\n%s", s.name, code, s.wantCode, body)
		}
		for _, w := range s.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: body lacks %q:\n%s", s.name, w, body)
			}
		}
		for _, w := range s.wantNot {
			if strings.Contains(body, w) {
				t.Errorf("%s: body has %q:\n%s", s.name, w, body)
			}
		}
	}
}
