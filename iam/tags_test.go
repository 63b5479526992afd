package iam_test

import (
	"context"
	"slices"
	"testing"

	"github.com/iamd/iamd/iam"
)

// TestListTagsSortedByKey: every List*Tags page is "sorted by tag key" (IAM
// API Reference, ListInstanceProfileTags, ListMFADeviceTags, ListRoleTags and
// the other List*Tags pages), whatever order the tags were added in, and a
// listing paged one tag at a time walks the same order.
func TestListTagsSortedByKey(t *testing.T) {
	f := newFixture(t, iam.DefaultQuotas())
	ctx := t.Context()
	first := []iam.Tag{{Key: "team", Value: "web"}, {Key: "cost", Value: "1"}}
	later := []iam.Tag{{Key: "owner", Value: "al"}, {Key: "app", Value: ""}, {Key: "zone", Value: "z"}}
	want := []string{"app", "cost", "owner", "team", "zone"}

	type kind struct {
		name   string
		create func(t *testing.T) string // returns the entity's identifier
		tag    func(ctx context.Context, id string, tags []iam.Tag) error
		list   func(ctx context.Context, id string, in iam.ListInput) (iam.Page[iam.Tag], error)
	}
	kinds := []kind{
		{"InstanceProfile",
			func(t *testing.T) string {
				if _, err := f.svc.CreateInstanceProfile(ctx, f.root, "", "ip", first); err != nil {
					t.Fatal(err)
				}
				return "ip"
			},
			func(ctx context.Context, id string, tags []iam.Tag) error {
				return f.svc.TagInstanceProfile(ctx, f.root, id, tags)
			},
			func(ctx context.Context, id string, in iam.ListInput) (iam.Page[iam.Tag], error) {
				return f.svc.ListInstanceProfileTags(ctx, f.root, id, in)
			}},
		{"MFADevice",
			func(t *testing.T) string {
				d, err := f.svc.CreateVirtualMFADevice(ctx, f.root, iam.CreateVirtualMFADeviceInput{Name: "phone", Tags: first})
				if err != nil {
					t.Fatal(err)
				}
				return d.Device.SerialNumber
			},
			func(ctx context.Context, id string, tags []iam.Tag) error {
				return f.svc.TagMFADevice(ctx, f.root, id, tags)
			},
			func(ctx context.Context, id string, in iam.ListInput) (iam.Page[iam.Tag], error) {
				return f.svc.ListMFADeviceTags(ctx, f.root, id, in)
			}},
		{"Role",
			func(t *testing.T) string {
				if _, err := f.svc.CreateRole(ctx, f.root, iam.CreateRoleInput{RoleName: "r", AssumeRolePolicyDocument: trustDoc, Tags: first}); err != nil {
					t.Fatal(err)
				}
				return "r"
			},
			func(ctx context.Context, id string, tags []iam.Tag) error {
				return f.svc.TagRole(ctx, f.root, id, tags)
			},
			func(ctx context.Context, id string, in iam.ListInput) (iam.Page[iam.Tag], error) {
				return f.svc.ListRoleTags(ctx, f.root, id, in)
			}},
		{"Policy",
			func(t *testing.T) string {
				p, err := f.svc.CreatePolicy(ctx, f.root, iam.CreatePolicyInput{PolicyName: "p", Tags: first,
					PolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`})
				if err != nil {
					t.Fatal(err)
				}
				return p.ARN
			},
			func(ctx context.Context, id string, tags []iam.Tag) error {
				return f.svc.TagPolicy(ctx, f.root, id, tags)
			},
			func(ctx context.Context, id string, in iam.ListInput) (iam.Page[iam.Tag], error) {
				return f.svc.ListPolicyTags(ctx, f.root, id, in)
			}},
	}
	keys := func(tags []iam.Tag) []string {
		var out []string
		for _, t := range tags {
			out = append(out, t.Key)
		}
		return out
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			id := k.create(t)
			if err := k.tag(ctx, id, later); err != nil {
				t.Fatal(err)
			}
			pg, err := k.list(ctx, id, iam.ListInput{})
			if err != nil {
				t.Fatal(err)
			}
			if got := keys(pg.Items); !slices.Equal(got, want) || pg.IsTruncated {
				t.Fatalf("one page: keys %v truncated %v, want %v", got, pg.IsTruncated, want)
			}
			for _, size := range []int{1, 2} {
				var got []string
				in := iam.ListInput{MaxItems: size}
				for range len(want) + 1 {
					pg, err := k.list(ctx, id, in)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, keys(pg.Items)...)
					if !pg.IsTruncated {
						break
					}
					in.Marker = pg.Marker
				}
				if !slices.Equal(got, want) {
					t.Fatalf("paged by %d: keys %v, want %v", size, got, want)
				}
			}
			// a tag added after a listing lands in key order too, not at
			// the end where the store appends it
			if err := k.tag(ctx, id, []iam.Tag{{Key: "beta", Value: "b"}}); err != nil {
				t.Fatal(err)
			}
			pg, err = k.list(ctx, id, iam.ListInput{})
			if err != nil {
				t.Fatal(err)
			}
			if got, w := keys(pg.Items), []string{"app", "beta", "cost", "owner", "team", "zone"}; !slices.Equal(got, w) {
				t.Fatalf("after another tag: keys %v, want %v", got, w)
			}
		})
	}
}
