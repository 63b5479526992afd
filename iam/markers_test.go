package iam_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/iamd/iamd/iam"
)

// TestMarkerFromAnotherListing checks that every listing refuses, with
// AWS's "Invalid Marker." ValidationError, a marker that some other listing
// issued or that is corrupt, while still following its own.
func TestMarkerFromAnotherListing(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	for i := range 3 {
		name := fmt.Sprintf("m%d", i)
		f.mustUser(t, name)
		f.mustGroup(t, name)
		f.mustRole(t, name)
		f.mustPolicy(t, name, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
		if i < 2 { // the quota is 2 keys per user
			if _, err := f.svc.CreateAccessKey(ctx, f.root, "m0"); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.svc.TagUser(ctx, f.root, "m0", []iam.Tag{{Key: name, Value: "v"}}); err != nil {
			t.Fatal(err)
		}
	}
	// list runs one listing from marker and returns the next marker.
	lists := map[string]func(marker string) (string, error){
		"ListUsers": func(m string) (string, error) {
			p, err := f.svc.ListUsers(ctx, f.root, iam.ListInput{MaxItems: 1, Marker: m})
			return p.Marker, err
		},
		"ListGroups": func(m string) (string, error) {
			p, err := f.svc.ListGroups(ctx, f.root, iam.ListInput{MaxItems: 1, Marker: m})
			return p.Marker, err
		},
		"ListRoles": func(m string) (string, error) {
			p, err := f.svc.ListRoles(ctx, f.root, iam.ListInput{MaxItems: 1, Marker: m})
			return p.Marker, err
		},
		"ListPolicies": func(m string) (string, error) {
			p, err := f.svc.ListPolicies(ctx, f.root, iam.ListPoliciesInput{Scope: "Local", ListInput: iam.ListInput{MaxItems: 1, Marker: m}})
			return p.Marker, err
		},
		"ListAccessKeys": func(m string) (string, error) {
			p, err := f.svc.ListAccessKeys(ctx, f.root, "m0", iam.ListInput{MaxItems: 1, Marker: m})
			if err != nil {
				return "", err
			}
			return p.Page.Marker, nil
		},
		"ListUserTags": func(m string) (string, error) {
			p, err := f.svc.ListUserTags(ctx, f.root, "m0", iam.ListInput{MaxItems: 1, Marker: m})
			return p.Marker, err
		},
		"GetAccountAuthorizationDetails": func(m string) (string, error) {
			p, err := f.svc.GetAccountAuthorizationDetails(ctx, f.root, nil, iam.ListInput{MaxItems: 1, Marker: m})
			if err != nil {
				return "", err
			}
			return p.Page.Marker, nil
		},
	}
	markers := map[string]string{}
	for name, list := range lists {
		m, err := list("")
		if err != nil || m == "" {
			t.Fatalf("%s first page: marker %q, %v", name, m, err)
		}
		if _, err := list(m); err != nil {
			t.Errorf("%s with its own marker: %v", name, err)
		}
		markers[name] = m
	}
	corrupt := []string{"!!not-base64!!", "garbage", base64.RawURLEncoding.EncodeToString([]byte("m1"))}
	for name, list := range lists {
		for from, m := range markers {
			if from == name {
				continue
			}
			if _, err := list(m); !invalidMarker(err) {
				t.Errorf("%s with a %s marker: %v, want ValidationError Invalid Marker.", name, from, err)
			}
		}
		for _, m := range corrupt {
			if _, err := list(m); !invalidMarker(err) {
				t.Errorf("%s with marker %q: %v, want ValidationError Invalid Marker.", name, m, err)
			}
		}
	}
}

func invalidMarker(err error) bool {
	var e *iam.Error
	return errors.As(err, &e) && e.Code == iam.CodeValidationError && e.Message == "Invalid Marker."
}

// TestMarkersFitAWSLimit checks that markers stay within the Marker
// member's 320 characters, which the next request is validated against,
// for listings keyed by long ARNs, and that following one neither skips
// nor repeats an item.
func TestMarkersFitAWSLimit(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	path := "/" + strings.Repeat(strings.Repeat("p", 49)+"/", 10)
	f.mustUser(t, "u")
	var want []string
	for i := range 3 {
		name := strings.Repeat("n", 127) + strconv.Itoa(i)
		pol, err := f.svc.CreatePolicy(ctx, f.root, iam.CreatePolicyInput{PolicyName: name, Path: path,
			PolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.AttachPolicy(ctx, f.root, iam.OwnerUser, "u", pol.ARN); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreateVirtualMFADevice(ctx, f.root, iam.CreateVirtualMFADeviceInput{Name: name, Path: path}); err != nil {
			t.Fatal(err)
		}
		want = append(want, name)
	}
	lists := map[string]func(marker string) ([]string, string, error){
		"ListPolicies": func(m string) ([]string, string, error) {
			p, err := f.svc.ListPolicies(ctx, f.root, iam.ListPoliciesInput{Scope: "Local", ListInput: iam.ListInput{MaxItems: 1, Marker: m}})
			var names []string
			for _, x := range p.Items {
				names = append(names, x.Name)
			}
			return names, p.Marker, err
		},
		"ListAttachedUserPolicies": func(m string) ([]string, string, error) {
			p, err := f.svc.ListAttachedPolicies(ctx, f.root, iam.OwnerUser, "u", iam.ListInput{MaxItems: 1, Marker: m})
			var names []string
			for _, x := range p.Items {
				names = append(names, x.Name)
			}
			return names, p.Marker, err
		},
		"ListVirtualMFADevices": func(m string) ([]string, string, error) {
			p, err := f.svc.ListVirtualMFADevices(ctx, f.root, "Any", iam.ListInput{MaxItems: 1, Marker: m})
			var names []string
			for _, x := range p.Items {
				names = append(names, x.Device.SerialNumber[strings.LastIndex(x.Device.SerialNumber, "/")+1:])
			}
			return names, p.Marker, err
		},
	}
	for name, list := range lists {
		var got []string
		marker := ""
		for range 5 {
			items, next, err := list(marker)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got = append(got, items...)
			if len(next) > 320 {
				t.Errorf("%s: marker of %d characters, over 320", name, len(next))
			}
			if next == "" {
				break
			}
			marker = next
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s paged one at a time = %v, want %v", name, got, want)
		}
	}
}
