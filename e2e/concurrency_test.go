package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// race runs n concurrent calls of f and returns how many succeeded and the
// error codes of the others. Any error that is not an API error with one of
// the allowed codes fails the test.
func race(t *testing.T, n int, f func(i int) error, allowed ...string) (ok int, codes map[string]int) {
	t.Helper()
	var mu sync.Mutex
	codes = map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			err := f(i)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
				return
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Errorf("call %d: %v", i, err)
				return
			}
			codes[apiErr.ErrorCode()]++
		})
	}
	close(start)
	wg.Wait()
	for code := range codes {
		found := false
		for _, a := range allowed {
			found = found || a == code
		}
		if !found {
			t.Errorf("unexpected error code %s (%d times); allowed %v", code, codes[code], allowed)
		}
	}
	return ok, codes
}

// concurrentClient is the SDK client with a transport that keeps enough
// connections open for the races to be real.
func (s *testServer) concurrentIAM() *iam.Client {
	cfg := s.awsConfig(rootKeyID, rootSecretKey, "")
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	return iam.NewFromConfig(cfg)
}

func TestConcurrentQuotas(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.concurrentIAM()

	t.Run("AccessKeysPerUser", func(t *testing.T) {
		must(t)(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("keys")}))
		ok, codes := race(t, 16, func(int) error {
			_, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("keys")})
			return err
		}, "LimitExceeded")
		if ok != 2 || codes["LimitExceeded"] != 14 {
			t.Fatalf("%d succeeded, %v; want exactly 2 and 14 LimitExceeded", ok, codes)
		}
		l, err := root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("keys")})
		if err != nil || len(l.AccessKeyMetadata) != 2 {
			t.Fatalf("ListAccessKeys: %v, %d keys", err, len(l.AccessKeyMetadata))
		}
	})

	t.Run("VersionsPerPolicy", func(t *testing.T) {
		p, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("versioned"), PolicyDocument: aws.String(allowDoc("iam:ListUsers"))})
		if err != nil {
			t.Fatal(err)
		}
		ok, codes := race(t, 16, func(i int) error {
			_, err := root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: p.Policy.Arn,
				PolicyDocument: aws.String(allowDoc(fmt.Sprintf("iam:Get%d", i)))})
			return err
		}, "LimitExceeded")
		if ok != 4 {
			t.Fatalf("%d new versions, %v; want exactly 4 (5 with the first)", ok, codes)
		}
		l, err := root.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: p.Policy.Arn})
		if err != nil || len(l.Versions) != 5 {
			t.Fatalf("ListPolicyVersions: %v, %d versions", err, len(l.Versions))
		}
	})

	t.Run("CaseInsensitiveNames", func(t *testing.T) {
		spellings := []string{"Foo", "foo", "FOO", "fOo", "foO", "FoO", "fOO", "FOo"}
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:root"},"Action":"sts:AssumeRole"}]}`
		for _, kind := range []struct {
			name string
			list func() (int, error)
			make func(name string) error
		}{
			{"user", func() (int, error) {
				l, err := root.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/race/")})
				return len(l.Users), err
			}, func(n string) error {
				_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(n), Path: aws.String("/race/")})
				return err
			}},
			{"group", func() (int, error) {
				l, err := root.ListGroups(ctx, &iam.ListGroupsInput{PathPrefix: aws.String("/race/")})
				return len(l.Groups), err
			}, func(n string) error {
				_, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(n), Path: aws.String("/race/")})
				return err
			}},
			{"role", func() (int, error) {
				l, err := root.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/race/")})
				return len(l.Roles), err
			}, func(n string) error {
				_, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(n), Path: aws.String("/race/"), AssumeRolePolicyDocument: aws.String(trust)})
				return err
			}},
			{"policy", func() (int, error) {
				l, err := root.ListPolicies(ctx, &iam.ListPoliciesInput{PathPrefix: aws.String("/race/"), Scope: "Local"})
				return len(l.Policies), err
			}, func(n string) error {
				_, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(n), Path: aws.String("/race/"), PolicyDocument: aws.String(allowDoc("iam:ListUsers"))})
				return err
			}},
		} {
			ok, codes := race(t, 2*len(spellings), func(i int) error { return kind.make(spellings[i%len(spellings)]) }, "EntityAlreadyExists")
			if ok != 1 {
				t.Errorf("%s: %d creates of Foo/foo/FOO... succeeded (%v), want exactly 1", kind.name, ok, codes)
			}
			if n, err := kind.list(); err != nil || n != 1 {
				t.Errorf("%s: listed %d (%v), want 1", kind.name, n, err)
			}
		}
	})

	t.Run("AttachedPoliciesPerUser", func(t *testing.T) {
		must(t)(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("attached")}))
		arns := make([]*string, 16)
		for i := range arns {
			p, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("att%d", i)), PolicyDocument: aws.String(allowDoc("iam:ListUsers"))})
			if err != nil {
				t.Fatal(err)
			}
			arns[i] = p.Policy.Arn
		}
		ok, codes := race(t, 16, func(i int) error {
			_, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("attached"), PolicyArn: arns[i]})
			return err
		}, "LimitExceeded")
		if ok != 10 {
			t.Fatalf("%d attachments, %v; want exactly 10", ok, codes)
		}
		l, err := root.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("attached")})
		if err != nil || len(l.AttachedPolicies) != 10 {
			t.Fatalf("ListAttachedUserPolicies: %v, %d", err, len(l.AttachedPolicies))
		}
	})
}

// must(t)(call(...)) fails the test when the call fails.
func must(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestDeletedKeyNeverAuthenticatesAgain hammers GetCallerIdentity with a key
// while it is deleted: no request sent after DeleteAccessKey returned may
// succeed, nor any after the user is gone.
func TestDeletedKeyNeverAuthenticatesAgain(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.concurrentIAM()
	for round := range 3 {
		name := fmt.Sprintf("doomed%d", round)
		must(t)(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
		k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		cfg := s.awsConfig(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
		cfg.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
		client := sts.NewFromConfig(cfg)
		if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatalf("key does not work before deletion: %v", err)
		}
		var deleted atomic.Bool
		var before, after, late atomic.Int64
		hctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for hctx.Err() == nil {
					wasDeleted := deleted.Load()
					_, err := client.GetCallerIdentity(hctx, &sts.GetCallerIdentityInput{})
					switch {
					case err == nil && wasDeleted:
						late.Add(1)
					case err == nil:
						before.Add(1)
					case wasDeleted:
						var apiErr smithy.APIError
						// A key that keeps failing is throttled (ratelimit.go).
						if errors.As(err, &apiErr) && apiErr.ErrorCode() != "InvalidClientTokenId" && apiErr.ErrorCode() != "Throttling" {
							t.Errorf("after deletion: %s, want InvalidClientTokenId", apiErr.ErrorCode())
						}
						after.Add(1)
					}
				}
			})
		}
		for before.Load() < 20 {
			if err := ctx.Err(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond)
		}
		if _, err := root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(name), AccessKeyId: k.AccessKey.AccessKeyId}); err != nil {
			t.Fatal(err)
		}
		deleted.Store(true)
		must(t)(root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)}))
		for after.Load() < 10 {
			if err := ctx.Err(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond)
		}
		stop()
		wg.Wait()
		if late.Load() != 0 {
			t.Fatalf("round %d: %d requests sent after DeleteAccessKey returned succeeded", round, late.Load())
		}
	}
}

// TestDeleteGroupWhileAddingUsers races AddUserToGroup against a deleter
// that empties and deletes the group: afterwards GetGroup and
// ListGroupsForUser agree, in memory and after a restart.
func TestDeleteGroupWhileAddingUsers(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	ctx := t.Context()
	root := s.concurrentIAM()
	const users = 12
	for i := range users {
		must(t)(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("member%d", i))}))
	}
	for round := range 3 {
		group := fmt.Sprintf("transient%d", round)
		must(t)(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(group)}))
		var wg sync.WaitGroup
		var addedAfterDelete atomic.Int64
		var groupDeleted atomic.Bool
		for i := range users {
			wg.Go(func() {
				for range 3 {
					gone := groupDeleted.Load()
					_, err := root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(group), UserName: aws.String(fmt.Sprintf("member%d", i))})
					if err == nil && gone {
						addedAfterDelete.Add(1)
					}
					var apiErr smithy.APIError
					if err != nil && (!errors.As(err, &apiErr) || apiErr.ErrorCode() != "NoSuchEntity") {
						t.Errorf("AddUserToGroup: %v", err)
					}
				}
			})
		}
		// The deleter: remove whatever members it sees, then try to delete.
		for {
			g, err := root.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(group)})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range g.Users {
				_, err := root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String(group), UserName: u.UserName})
				var apiErr smithy.APIError
				if err != nil && (!errors.As(err, &apiErr) || apiErr.ErrorCode() != "NoSuchEntity") {
					t.Fatal(err)
				}
			}
			_, err = root.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String(group)})
			if err == nil {
				groupDeleted.Store(true)
				break
			}
			wantAPIError(t, err, "DeleteConflict", http.StatusConflict)
		}
		wg.Wait()
		if n := addedAfterDelete.Load(); n != 0 {
			t.Fatalf("%d AddUserToGroup calls succeeded after DeleteGroup returned", n)
		}
		checkNoOrphans := func(c *iam.Client) {
			t.Helper()
			_, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(group)})
			wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
			for i := range users {
				l, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String(fmt.Sprintf("member%d", i))})
				if err != nil {
					t.Fatal(err)
				}
				for _, g := range l.Groups {
					if aws.ToString(g.GroupName) == group {
						t.Fatalf("member%d still lists deleted group %s", i, group)
					}
				}
			}
		}
		checkNoOrphans(root)
		if round == 2 {
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := s.Shutdown(shutdownCtx); err != nil {
				t.Fatal(err)
			}
			cancel()
			s = startServer(t, dir)
			checkNoOrphans(s.rootIAM())
		}
	}
}
