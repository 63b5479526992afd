package iam_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/iamd/iamd/iam"
)

// TestAssumeRolePackedSize covers the packed-size budget of session
// policies and tags: AWS words a tags-only overflow differently from a
// policy overflow, and reports PackedPolicySize only when something was
// passed.
func TestAssumeRolePackedSize(t *testing.T) {
	svc, p, root := authzFixture(t)
	ctx := t.Context()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/eng"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
	if _, err := svc.CreateRole(ctx, root, iam.CreateRoleInput{RoleName: "R", AssumeRolePolicyDocument: trust}); err != nil {
		t.Fatal(err)
	}
	tags := func(n, klen, vlen int) []iam.Tag {
		out := make([]iam.Tag, n)
		for i := range out {
			k := fmt.Sprintf("k%02d", i)
			out[i] = iam.Tag{Key: k + strings.Repeat("K", klen-len(k)), Value: strings.Repeat("V", vlen)}
		}
		return out
	}
	small := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	// 10 maximal tags (3,840 characters) fit on their own; with this
	// policy they do not.
	longer := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("b", 400) + `/*"}]}`
	for _, tc := range []struct {
		name       string
		policy     string
		tags       []iam.Tag
		wantCode   iam.Code
		wantPrefix string
		wantPacked func(int) bool
	}{
		{name: "nothing passed", wantPacked: func(n int) bool { return n == -1 }},
		{name: "small policy", policy: small, wantPacked: func(n int) bool { return n >= 0 && n <= 100 }},
		{name: "50 small tags", tags: tags(50, 3, 0), wantPacked: func(n int) bool { return n >= 0 && n <= 100 }},
		{name: "10 maximal tags", tags: tags(10, 128, 256), wantPacked: func(n int) bool { return n > 50 && n <= 100 }},
		{name: "50 maximal tags", tags: tags(50, 128, 256), wantCode: iam.CodePackedPolicyTooLarge,
			wantPrefix: "Packed size of session tags consumes "},
		{name: "maximal tags beside a policy", policy: small, tags: tags(50, 128, 256), wantCode: iam.CodePackedPolicyTooLarge,
			wantPrefix: "Packed size of session tags consumes "},
		{name: "tags fit, policy and tags together do not", policy: longer, tags: tags(10, 128, 256),
			wantCode: iam.CodePackedPolicyTooLarge, wantPrefix: "Packed policy consumes "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := svc.AssumeRole(ctx, p, iam.AssumeRoleInput{RoleARN: "arn:aws:iam::111122223333:role/R", RoleSessionName: "s1",
				Policy: tc.policy, Tags: tc.tags})
			if tc.wantCode != "" {
				var ie *iam.Error
				if !errors.As(err, &ie) || ie.Code != tc.wantCode || !strings.HasPrefix(ie.Message, tc.wantPrefix) ||
					!strings.Contains(ie.Message, "% of allotted space") {
					t.Fatalf("AssumeRole = %v, want %s %q...", err, tc.wantCode, tc.wantPrefix)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.wantPacked(out.PackedPolicySize) {
				t.Errorf("PackedPolicySize = %d", out.PackedPolicySize)
			}
		})
	}
}
