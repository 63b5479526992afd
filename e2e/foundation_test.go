package e2e

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

var (
	userIDPattern   = regexp.MustCompile(`^AIDA[A-Z2-7]{17}$`)
	groupIDPattern  = regexp.MustCompile(`^AGPA[A-Z2-7]{17}$`)
	accessKeyIDExpr = regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`)
)

func TestCallerIdentityRoot(t *testing.T) {
	s := startServer(t, "")
	out, err := s.sts(rootKeyID, rootSecretKey).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.Arn), "arn:aws:iam::"+testAccount+":root"; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if aws.ToString(out.Account) != testAccount || aws.ToString(out.UserId) != testAccount {
		t.Errorf("Account, UserId = %s, %s; want %s twice", aws.ToString(out.Account), aws.ToString(out.UserId), testAccount)
	}
}

func TestUserLifecycle(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()

	created, err := c.CreateUser(ctx, &iam.CreateUserInput{
		UserName: aws.String("alice"),
		Path:     aws.String("/engineering/"),
		Tags:     []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	u := created.User
	if !userIDPattern.MatchString(aws.ToString(u.UserId)) {
		t.Errorf("UserId = %s, want AIDA + 17", aws.ToString(u.UserId))
	}
	if got, want := aws.ToString(u.Arn), "arn:aws:iam::"+testAccount+":user/engineering/alice"; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if len(u.Tags) != 1 || aws.ToString(u.Tags[0].Key) != "team" {
		t.Errorf("Tags = %v, want team=core", u.Tags)
	}
	if time.Since(aws.ToTime(u.CreateDate)) > time.Minute {
		t.Errorf("CreateDate = %v, want about now", u.CreateDate)
	}

	// Names are unique case-insensitively.
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ALICE")})
	wantAPIError(t, err, "EntityAlreadyExists", http.StatusConflict)

	got, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.User.UserId) != aws.ToString(u.UserId) || aws.ToString(got.User.Path) != "/engineering/" {
		t.Errorf("GetUser = %+v, want the created user", got.User)
	}

	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
	apiErr := wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
	if want := "The user with name nobody cannot be found."; apiErr.ErrorMessage() != want {
		t.Errorf("message = %q, want %q", apiErr.ErrorMessage(), want)
	}

	if _, err := c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("alice"), NewUserName: aws.String("alice2"), NewPath: aws.String("/")}); err != nil {
		t.Fatal(err)
	}
	got, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice2")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.User.Arn) != "arn:aws:iam::"+testAccount+":user/alice2" {
		t.Errorf("Arn after rename = %s", aws.ToString(got.User.Arn))
	}

	if _, err := c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("alice2"), Tags: []types.Tag{
		{Key: aws.String("TEAM"), Value: aws.String("platform")}, {Key: aws.String("env"), Value: aws.String("")},
	}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("alice2")})
	if err != nil {
		t.Fatal(err)
	}
	// Sorted by key, as the List*Tags pages document.
	if len(tags.Tags) != 2 || aws.ToString(tags.Tags[0].Key) != "env" || aws.ToString(tags.Tags[1].Key) != "team" || aws.ToString(tags.Tags[1].Value) != "platform" {
		t.Errorf("tags = %+v, want env=, team=platform (key kept as first written)", tags.Tags)
	}
	if _, err := c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("alice2"), TagKeys: []string{"Team", "absent"}}); err != nil {
		t.Fatal(err)
	}
	tags, _ = c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("alice2")})
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Errorf("tags after untag = %+v, want env only", tags.Tags)
	}

	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice2")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice2")})
	wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
}

func TestGetUserRootCaller(t *testing.T) {
	s := startServer(t, "")
	out, err := s.rootIAM().GetUser(t.Context(), &iam.GetUserInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.User.UserId) != testAccount || aws.ToString(out.User.Arn) != "arn:aws:iam::"+testAccount+":root" {
		t.Errorf("root GetUser = %+v", out.User)
	}
	if out.User.UserName != nil || out.User.Path != nil {
		t.Errorf("root GetUser has UserName/Path %v/%v, want none", out.User.UserName, out.User.Path)
	}
}

func TestListUsersPagination(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	for i := range 7 {
		path := "/a/"
		if i%2 == 1 {
			path = "/b/"
		}
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("user%d", i)), Path: aws.String(path)}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	var marker *string
	pages := 0
	for {
		out, err := c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(3), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.UserName))
		}
		if !out.IsTruncated {
			if out.Marker != nil {
				t.Errorf("Marker set on the last page")
			}
			break
		}
		marker = out.Marker
	}
	if pages != 3 || strings.Join(names, ",") != "user0,user1,user2,user3,user4,user5,user6" {
		t.Errorf("pages %d, names %v", pages, names)
	}
	out, err := c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/b/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Users) != 3 {
		t.Errorf("PathPrefix /b/: %d users, want 3", len(out.Users))
	}

	// The SDK's paginator follows Marker/IsTruncated.
	p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(2)})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Users)
	}
	if n != 7 {
		t.Errorf("paginator saw %d users, want 7", n)
	}
}

func TestValidationErrors(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("has space")})
	e := wantAPIError(t, err, "ValidationError", http.StatusBadRequest)
	// IAM words name-pattern violations its own way rather than with the
	// generic "failed to satisfy constraint" text.
	if want := `The specified value for userName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-`; e.ErrorMessage() != want {
		t.Errorf("message = %q\nwant %q", e.ErrorMessage(), want)
	}
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(strings.Repeat("a", 65))})
	wantAPIError(t, err, "ValidationError", http.StatusBadRequest)
	_, err = c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1001)})
	wantAPIError(t, err, "ValidationError", http.StatusBadRequest)
}

func TestGroups(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	g, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("admins")})
	if err != nil {
		t.Fatal(err)
	}
	if !groupIDPattern.MatchString(aws.ToString(g.Group.GroupId)) || aws.ToString(g.Group.Arn) != "arn:aws:iam::"+testAccount+":group/admins" {
		t.Errorf("group = %+v", g.Group)
	}
	_, err = c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("Admins")})
	wantAPIError(t, err, "EntityAlreadyExists", http.StatusConflict)

	for _, name := range []string{"bob", "carol"} {
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("admins"), UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	// Adding again is not an error.
	if _, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("admins"), UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("admins")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Users) != 2 {
		t.Errorf("members = %d, want 2", len(got.Users))
	}
	fg, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("bob")})
	if err != nil || len(fg.Groups) != 1 {
		t.Fatalf("ListGroupsForUser = %v, %v", fg, err)
	}

	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("admins")})
	wantAPIError(t, err, "DeleteConflict", http.StatusConflict)
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
	wantAPIError(t, err, "DeleteConflict", http.StatusConflict)

	if _, err := c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("admins"), NewGroupName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bob", "carol"} {
		if _, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("ops"), UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("ops"), UserName: aws.String("bob")})
	wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
	if _, err := c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	lg, err := c.ListGroups(ctx, &iam.ListGroupsInput{})
	if err != nil || len(lg.Groups) != 0 {
		t.Fatalf("ListGroups = %v, %v; want none", lg, err)
	}
}

func TestAccessKeysAuthenticate(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dave")}); err != nil {
		t.Fatal(err)
	}
	k1, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dave")})
	if err != nil {
		t.Fatal(err)
	}
	key := k1.AccessKey
	if !accessKeyIDExpr.MatchString(aws.ToString(key.AccessKeyId)) || len(aws.ToString(key.SecretAccessKey)) != 40 {
		t.Errorf("key = %s / %d-char secret", aws.ToString(key.AccessKeyId), len(aws.ToString(key.SecretAccessKey)))
	}
	if key.Status != types.StatusTypeActive || aws.ToString(key.UserName) != "dave" {
		t.Errorf("key status/user = %s/%s", key.Status, aws.ToString(key.UserName))
	}
	if _, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dave")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dave")})
	e := wantAPIError(t, err, "LimitExceeded", http.StatusConflict)
	if e.ErrorMessage() != "Cannot exceed quota for AccessKeysPerUser: 2" {
		t.Errorf("message = %q", e.ErrorMessage())
	}

	// The new key authenticates as dave.
	daveSTS := s.sts(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))
	id, err := daveSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Arn) != "arn:aws:iam::"+testAccount+":user/dave" || !userIDPattern.MatchString(aws.ToString(id.UserId)) {
		t.Errorf("caller = %s %s", aws.ToString(id.Arn), aws.ToString(id.UserId))
	}
	// Until policies are enforced, only root may call IAM.
	daveIAM := s.iam(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))
	_, err = daveIAM.ListUsers(ctx, &iam.ListUsersInput{})
	e = wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	want := "User: arn:aws:iam::" + testAccount + ":user/dave is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::" + testAccount + ":user/ because no identity-based policy allows the iam:ListUsers action"
	if e.ErrorMessage() != want {
		t.Errorf("AccessDenied message = %q\nwant %q", e.ErrorMessage(), want)
	}

	// A wrong secret is refused.
	_, err = s.sts(aws.ToString(key.AccessKeyId), strings.Repeat("x", 40)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", http.StatusForbidden)
	// An unknown key is refused.
	_, err = s.sts("AKIAAAAAAAAAAAAAAAAA", strings.Repeat("x", 40)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", http.StatusForbidden)

	// Used keys report last use: the latest authenticated request, which
	// was the denied IAM call.
	lu, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: key.AccessKeyId})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(lu.UserName) != "dave" || aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "iam" || lu.AccessKeyLastUsed.LastUsedDate == nil {
		t.Errorf("last used = %s %s %s %v", aws.ToString(lu.UserName), aws.ToString(lu.AccessKeyLastUsed.ServiceName),
			aws.ToString(lu.AccessKeyLastUsed.Region), lu.AccessKeyLastUsed.LastUsedDate)
	}

	// Inactive keys stop authenticating at once.
	if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("dave"), AccessKeyId: key.AccessKeyId, Status: types.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	_, err = daveSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", http.StatusForbidden)
	lk, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("dave")})
	if err != nil || len(lk.AccessKeyMetadata) != 2 {
		t.Fatalf("ListAccessKeys = %v, %v", lk, err)
	}
	if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("dave"), AccessKeyId: key.AccessKeyId, Status: types.StatusTypeActive}); err != nil {
		t.Fatal(err)
	}
	if _, err := daveSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("reactivated key: %v", err)
	}

	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("dave")})
	wantAPIError(t, err, "DeleteConflict", http.StatusConflict)
	for _, m := range lk.AccessKeyMetadata {
		if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("dave"), AccessKeyId: m.AccessKeyId}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = daveSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", http.StatusForbidden)
	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("dave"), AccessKeyId: key.AccessKeyId})
	wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("dave")}); err != nil {
		t.Fatal(err)
	}
}

func TestRootAccessKeys(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	lk, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lk.AccessKeyMetadata) != 1 || aws.ToString(lk.AccessKeyMetadata[0].AccessKeyId) != rootKeyID {
		t.Fatalf("root keys = %+v, want the preset one", lk.AccessKeyMetadata)
	}
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if k.AccessKey.UserName != nil {
		t.Errorf("root key has UserName %s", aws.ToString(k.AccessKey.UserName))
	}
	id, err := s.sts(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:iam::"+testAccount+":root" {
		t.Fatalf("second root key caller = %v, %v", id, err)
	}
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	wantAPIError(t, err, "LimitExceeded", http.StatusConflict)
}

func TestRestartKeepsDataAndCredentials(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	ctx := t.Context()
	if _, err := s.rootIAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("persisted")}); err != nil {
		t.Fatal(err)
	}
	k, err := s.rootIAM().CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("persisted")})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}

	s2 := startServer(t, dir)
	if _, err := s2.rootIAM().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("persisted")}); err != nil {
		t.Fatalf("user lost across restart: %v", err)
	}
	id, err := s2.sts(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(id.Arn), ":user/persisted") {
		t.Fatalf("key after restart: %v, %v", id, err)
	}
	if s2.Bootstrap.Account.ID != testAccount || s2.Bootstrap.Created {
		t.Errorf("bootstrap after restart = %+v", s2.Bootstrap)
	}
}
