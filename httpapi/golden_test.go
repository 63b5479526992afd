package httpapi

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/keyring"
	"github.com/iamd/iamd/sqlite"
)

// goldenTime is where the golden scenario's clock starts. Step N runs at
// goldenTime + (N-1) seconds: the Service stamps dates with it, the Handler
// checks SigV4 skew against it and the request is signed with it. The tick
// keeps lists ordered by creation date (access keys, policy versions)
// deterministic, since ties there fall back to random IDs.
var goldenTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const goldenDir = "testdata/golden"

// goldenStep is one request of the scenario. params are key, value pairs
// after Action; "{{name}}" in a value is replaced by a value captured from
// an earlier response. capture names elements whose first value in this
// step's response is remembered, under the element's name or, for
// "Element:name", under name.
type goldenStep struct {
	action  string
	suffix  string // "" for the main success case, else e.g. "NoSuchEntity"
	params  []string
	capture []string
}

func st(action, suffix string, params ...string) goldenStep {
	return goldenStep{action: action, suffix: suffix, params: params}
}

func (s goldenStep) capturing(names ...string) goldenStep {
	s.capture = names
	return s
}

const (
	goldenAccount = "123456789012"
	goldenTrust   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	goldenTrust2  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	goldenPolicy  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	goldenPolicy2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}`
	goldenInline  = `{"Version":"2012-10-17","Statement":[{"Sid":"Inline","Effect":"Deny","Action":"iam:*","Resource":"*"}]}`
	goldenBadDoc  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"`
	customARN     = "arn:aws:iam::" + goldenAccount + ":policy/team/app-policy"
	// An AWS managed policy whose document has not changed since 2015
	// (v1), so that refreshing the bundled managed policies does not
	// churn the golden files the way ReadOnlyAccess (revised monthly)
	// would.
	awsManagedARN = "arn:aws:iam::aws:policy/AdministratorAccess"
	oidcARN       = "arn:aws:iam::" + goldenAccount + ":oidc-provider/token.example.com"
	samlARN       = "arn:aws:iam::" + goldenAccount + ":saml-provider/corp-idp"
	missingPolicy = "arn:aws:iam::" + goldenAccount + ":policy/no-such-policy"
	goldenThumb   = "0123456789abcdef0123456789abcdef01234567"
)

// goldenSAMLMetadata is minimal SAML 2.0 IdP metadata whose signing
// certificate is derived from a fixed Ed25519 seed, so the document, which
// GetSAMLProvider echoes, is the same on every run.
func goldenSAMLMetadata(t *testing.T) string {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(20260102),
		Subject:      pkix.Name{CommonName: "idp.example.com"},
		NotBefore:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	// Ed25519 signatures are deterministic: the reader is never used.
	der, err := x509.CreateCertificate(zeroReader{}, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return `<?xml version="1.0" encoding="UTF-8"?>` +
		`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.com/saml">` +
		`<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
		`<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` +
		base64.StdEncoding.EncodeToString(der) +
		`</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
		`<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>` +
		`<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>` +
		`<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>` +
		`<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>` +
		`<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso"/>` +
		`</md:IDPSSODescriptor>` +
		`<md:Organization><md:OrganizationName xml:lang="en">Example</md:OrganizationName>` +
		`<md:OrganizationDisplayName xml:lang="en">Example IdP</md:OrganizationDisplayName>` +
		`<md:OrganizationURL xml:lang="en">https://idp.example.com/</md:OrganizationURL></md:Organization>` +
		`</md:EntityDescriptor>`
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// tagParams returns n tags as Tags.member.N parameters.
func tagParams(n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		p := "Tags.member." + strconv.Itoa(i)
		out = append(out, p+".Key", "k"+strconv.Itoa(i), p+".Value", "v")
	}
	return out
}

func goldenScenario(t *testing.T) []goldenStep {
	saml := goldenSAMLMetadata(t)
	if len(saml) < 1000 { // the model's minimum for SAMLMetadataDocument
		t.Fatalf("SAML metadata is %d characters, want at least 1000", len(saml))
	}
	return []goldenStep{
		// Users.
		st("CreateUser", "", "UserName", "alice", "Path", "/eng/", "Tags.member.1.Key", "team", "Tags.member.1.Value", "blue"),
		st("CreateUser", "EntityAlreadyExists", "UserName", "alice"),
		st("CreateUser", "ValidationError", "UserName", "bad name!"),
		st("CreateUser", "bob", "UserName", "bob"),
		st("GetUser", "", "UserName", "alice"),
		st("GetUser", "root"),
		st("GetUser", "NoSuchEntity", "UserName", "nobody"),
		st("ListUsers", ""),
		st("UpdateUser", "", "UserName", "bob", "NewUserName", "carol", "NewPath", "/ops/"),
		st("UpdateUser", "NoSuchEntity", "UserName", "bob", "NewUserName", "dave"),
		st("UpdateUser", "EntityAlreadyExists", "UserName", "carol", "NewUserName", "alice"),
		st("TagUser", "", "UserName", "alice", "Tags.member.1.Key", "cost-center", "Tags.member.1.Value", "42"),
		st("TagUser", "LimitExceeded", append([]string{"UserName", "alice"}, tagParams(50)...)...),
		st("TagUser", "NoSuchEntity", "UserName", "nobody", "Tags.member.1.Key", "a", "Tags.member.1.Value", "b"),
		st("ListUserTags", "", "UserName", "alice"),
		st("UntagUser", "", "UserName", "alice", "TagKeys.member.1", "cost-center"),
		st("ListUserTags", "after_untag", "UserName", "alice"),

		// Groups.
		st("CreateGroup", "", "GroupName", "devs", "Path", "/eng/"),
		st("CreateGroup", "EntityAlreadyExists", "GroupName", "devs"),
		st("GetGroup", "empty", "GroupName", "devs"),
		st("AddUserToGroup", "", "GroupName", "devs", "UserName", "alice"),
		st("AddUserToGroup", "NoSuchEntity", "GroupName", "devs", "UserName", "nobody"),
		st("GetGroup", "", "GroupName", "devs"),
		st("GetGroup", "NoSuchEntity", "GroupName", "nogroup"),
		st("ListGroups", ""),
		st("ListGroupsForUser", "", "UserName", "alice"),
		st("AddUserToGroup", "carol", "GroupName", "devs", "UserName", "carol"),
		st("RemoveUserFromGroup", "", "GroupName", "devs", "UserName", "carol"),
		st("RemoveUserFromGroup", "NoSuchEntity", "GroupName", "nogroup", "UserName", "carol"),

		// Access keys.
		st("CreateAccessKey", "", "UserName", "alice").capturing("AccessKeyId"),
		st("CreateAccessKey", "second", "UserName", "alice").capturing("AccessKeyId:Key2"),
		st("CreateAccessKey", "LimitExceeded", "UserName", "alice"),
		st("CreateAccessKey", "NoSuchEntity", "UserName", "nobody"),
		st("ListAccessKeys", "", "UserName", "alice"),
		st("UpdateAccessKey", "", "UserName", "alice", "AccessKeyId", "{{Key2}}", "Status", "Inactive"),
		st("UpdateAccessKey", "ValidationError", "UserName", "alice", "AccessKeyId", "{{Key2}}", "Status", "Paused"),
		st("GetAccessKeyLastUsed", "", "AccessKeyId", "{{AccessKeyId}}"),
		st("GetAccessKeyLastUsed", "root", "AccessKeyId", benchKeyID),
		st("DeleteAccessKey", "", "UserName", "alice", "AccessKeyId", "{{Key2}}"),
		st("DeleteAccessKey", "NoSuchEntity", "UserName", "alice", "AccessKeyId", "{{Key2}}"),
		st("ListAccessKeys", "after_delete", "UserName", "alice"),

		// Roles.
		st("CreateRole", "", "RoleName", "app-role", "Path", "/app/", "AssumeRolePolicyDocument", goldenTrust,
			"Description", "Application role", "Tags.member.1.Key", "env", "Tags.member.1.Value", "prod"),
		st("CreateRole", "EntityAlreadyExists", "RoleName", "app-role", "AssumeRolePolicyDocument", goldenTrust),
		st("CreateRole", "MalformedPolicyDocument", "RoleName", "bad-role", "AssumeRolePolicyDocument", goldenBadDoc),
		st("GetRole", "", "RoleName", "app-role"),
		st("GetRole", "NoSuchEntity", "RoleName", "no-role"),
		st("ListRoles", ""),
		st("UpdateRole", "", "RoleName", "app-role", "Description", "Updated", "MaxSessionDuration", "7200"),
		st("UpdateRole", "ValidationError", "RoleName", "app-role", "MaxSessionDuration", "60"),
		st("UpdateRoleDescription", "", "RoleName", "app-role", "Description", "Described again"),
		st("UpdateRoleDescription", "NoSuchEntity", "RoleName", "no-role", "Description", "x"),
		st("UpdateAssumeRolePolicy", "", "RoleName", "app-role", "PolicyDocument", goldenTrust2),
		st("UpdateAssumeRolePolicy", "MalformedPolicyDocument", "RoleName", "app-role", "PolicyDocument", goldenBadDoc),
		st("TagRole", "", "RoleName", "app-role", "Tags.member.1.Key", "owner", "Tags.member.1.Value", "alice"),
		st("TagRole", "LimitExceeded", append([]string{"RoleName", "app-role"}, tagParams(50)...)...),
		st("ListRoleTags", "", "RoleName", "app-role"),
		st("UntagRole", "", "RoleName", "app-role", "TagKeys.member.1", "owner"),
		st("ListRoleTags", "after_untag", "RoleName", "app-role"),
		st("GetRole", "updated", "RoleName", "app-role"),

		// Managed policies and versions.
		st("CreatePolicy", "", "PolicyName", "app-policy", "Path", "/team/", "PolicyDocument", goldenPolicy, "Description", "App access"),
		st("CreatePolicy", "EntityAlreadyExists", "PolicyName", "app-policy", "Path", "/team/", "PolicyDocument", goldenPolicy),
		st("CreatePolicy", "MalformedPolicyDocument", "PolicyName", "bad-policy", "PolicyDocument", goldenBadDoc),
		st("GetPolicy", "", "PolicyArn", customARN),
		st("GetPolicy", "aws_managed", "PolicyArn", awsManagedARN),
		st("GetPolicy", "NoSuchEntity", "PolicyArn", missingPolicy),
		st("ListPolicies", "", "Scope", "Local"),
		st("CreatePolicyVersion", "", "PolicyArn", customARN, "PolicyDocument", goldenPolicy2),
		st("CreatePolicyVersion", "v3", "PolicyArn", customARN, "PolicyDocument", goldenPolicy),
		st("CreatePolicyVersion", "v4", "PolicyArn", customARN, "PolicyDocument", goldenPolicy2),
		st("CreatePolicyVersion", "v5", "PolicyArn", customARN, "PolicyDocument", goldenPolicy, "SetAsDefault", "true"),
		st("CreatePolicyVersion", "LimitExceeded", "PolicyArn", customARN, "PolicyDocument", goldenPolicy),
		st("CreatePolicyVersion", "MalformedPolicyDocument", "PolicyArn", customARN, "PolicyDocument", goldenBadDoc),
		st("GetPolicyVersion", "", "PolicyArn", customARN, "VersionId", "v2"),
		st("GetPolicyVersion", "NoSuchEntity", "PolicyArn", customARN, "VersionId", "v9"),
		st("ListPolicyVersions", "", "PolicyArn", customARN),
		st("SetDefaultPolicyVersion", "", "PolicyArn", customARN, "VersionId", "v2"),
		st("SetDefaultPolicyVersion", "NoSuchEntity", "PolicyArn", customARN, "VersionId", "v9"),
		st("DeletePolicyVersion", "DeleteConflict", "PolicyArn", customARN, "VersionId", "v2"),
		st("DeletePolicyVersion", "", "PolicyArn", customARN, "VersionId", "v1"),
		st("DeletePolicyVersion", "v3", "PolicyArn", customARN, "VersionId", "v3"),
		st("DeletePolicyVersion", "v4", "PolicyArn", customARN, "VersionId", "v4"),
		st("ListPolicyVersions", "after_delete", "PolicyArn", customARN),
		st("TagPolicy", "", "PolicyArn", customARN, "Tags.member.1.Key", "tier", "Tags.member.1.Value", "gold"),
		st("TagPolicy", "NoSuchEntity", "PolicyArn", missingPolicy, "Tags.member.1.Key", "tier", "Tags.member.1.Value", "gold"),
		st("TagPolicy", "second", "PolicyArn", customARN, "Tags.member.1.Key", "temp", "Tags.member.1.Value", "x"),
		st("UntagPolicy", "", "PolicyArn", customARN, "TagKeys.member.1", "temp"),
		st("ListPolicyTags", "", "PolicyArn", customARN),

		// Attachments.
		st("AttachUserPolicy", "", "UserName", "alice", "PolicyArn", customARN),
		st("AttachUserPolicy", "aws_managed", "UserName", "alice", "PolicyArn", awsManagedARN),
		st("AttachUserPolicy", "NoSuchEntity", "UserName", "alice", "PolicyArn", missingPolicy),
		st("AttachGroupPolicy", "", "GroupName", "devs", "PolicyArn", customARN),
		st("AttachGroupPolicy", "aws_managed", "GroupName", "devs", "PolicyArn", awsManagedARN),
		st("AttachGroupPolicy", "NoSuchEntity", "GroupName", "nogroup", "PolicyArn", customARN),
		st("AttachRolePolicy", "", "RoleName", "app-role", "PolicyArn", customARN),
		st("AttachRolePolicy", "aws_managed", "RoleName", "app-role", "PolicyArn", awsManagedARN),
		st("AttachRolePolicy", "NoSuchEntity", "RoleName", "no-role", "PolicyArn", customARN),
		st("ListAttachedUserPolicies", "", "UserName", "alice"),
		st("ListAttachedGroupPolicies", "", "GroupName", "devs"),
		st("ListAttachedRolePolicies", "", "RoleName", "app-role"),
		st("ListAttachedRolePolicies", "NoSuchEntity", "RoleName", "no-role"),
		st("ListEntitiesForPolicy", "", "PolicyArn", customARN),
		st("ListEntitiesForPolicy", "aws_managed", "PolicyArn", awsManagedARN),
		st("GetPolicy", "attached", "PolicyArn", customARN),

		// Inline policies.
		st("PutUserPolicy", "", "UserName", "alice", "PolicyName", "inline-deny", "PolicyDocument", goldenInline),
		st("PutUserPolicy", "MalformedPolicyDocument", "UserName", "alice", "PolicyName", "bad", "PolicyDocument", goldenBadDoc),
		st("GetUserPolicy", "", "UserName", "alice", "PolicyName", "inline-deny"),
		st("GetUserPolicy", "NoSuchEntity", "UserName", "alice", "PolicyName", "missing"),
		st("ListUserPolicies", "", "UserName", "alice"),
		st("PutGroupPolicy", "", "GroupName", "devs", "PolicyName", "inline-deny", "PolicyDocument", goldenInline),
		st("PutGroupPolicy", "NoSuchEntity", "GroupName", "nogroup", "PolicyName", "inline-deny", "PolicyDocument", goldenInline),
		st("GetGroupPolicy", "", "GroupName", "devs", "PolicyName", "inline-deny"),
		st("ListGroupPolicies", "", "GroupName", "devs"),
		st("PutRolePolicy", "", "RoleName", "app-role", "PolicyName", "inline-deny", "PolicyDocument", goldenInline),
		st("PutRolePolicy", "MalformedPolicyDocument", "RoleName", "app-role", "PolicyName", "bad", "PolicyDocument", goldenBadDoc),
		st("GetRolePolicy", "", "RoleName", "app-role", "PolicyName", "inline-deny"),
		st("ListRolePolicies", "", "RoleName", "app-role"),

		// Permissions boundaries.
		st("PutUserPermissionsBoundary", "", "UserName", "alice", "PermissionsBoundary", customARN),
		st("PutUserPermissionsBoundary", "NoSuchEntity", "UserName", "alice", "PermissionsBoundary", missingPolicy),
		st("GetUser", "with_boundary", "UserName", "alice"),
		st("PutRolePermissionsBoundary", "", "RoleName", "app-role", "PermissionsBoundary", awsManagedARN),
		st("PutRolePermissionsBoundary", "NoSuchEntity", "RoleName", "no-role", "PermissionsBoundary", awsManagedARN),
		st("GetRole", "with_boundary", "RoleName", "app-role"),
		st("GetPolicy", "boundary_usage", "PolicyArn", customARN),
		st("DeleteUserPermissionsBoundary", "", "UserName", "alice"),
		st("DeleteUserPermissionsBoundary", "NoSuchEntity", "UserName", "nobody"),
		st("DeleteRolePermissionsBoundary", "", "RoleName", "app-role"),
		st("DeleteRolePermissionsBoundary", "NoSuchEntity", "RoleName", "no-role"),

		// Instance profiles.
		st("CreateInstanceProfile", "", "InstanceProfileName", "web", "Path", "/app/"),
		st("CreateInstanceProfile", "EntityAlreadyExists", "InstanceProfileName", "web"),
		st("AddRoleToInstanceProfile", "", "InstanceProfileName", "web", "RoleName", "app-role"),
		st("AddRoleToInstanceProfile", "LimitExceeded", "InstanceProfileName", "web", "RoleName", "app-role"),
		st("AddRoleToInstanceProfile", "NoSuchEntity", "InstanceProfileName", "web", "RoleName", "no-role"),
		st("GetInstanceProfile", "", "InstanceProfileName", "web"),
		st("ListInstanceProfiles", ""),
		st("ListInstanceProfilesForRole", "", "RoleName", "app-role"),
		st("ListInstanceProfilesForRole", "NoSuchEntity", "RoleName", "no-role"),
		st("DeleteInstanceProfile", "DeleteConflict", "InstanceProfileName", "web"),
		st("RemoveRoleFromInstanceProfile", "", "InstanceProfileName", "web", "RoleName", "app-role"),
		st("RemoveRoleFromInstanceProfile", "NoSuchEntity", "InstanceProfileName", "web", "RoleName", "app-role"),
		st("DeleteInstanceProfile", "", "InstanceProfileName", "web"),
		st("GetInstanceProfile", "NoSuchEntity", "InstanceProfileName", "web"),

		// Service-linked roles.
		st("CreateServiceLinkedRole", "", "AWSServiceName", "autoscaling.amazonaws.com", "Description", "Scaling"),
		st("CreateServiceLinkedRole", "taken", "AWSServiceName", "autoscaling.amazonaws.com"),
		st("DeleteRole", "service_linked", "RoleName", "AWSServiceRoleForAutoScaling"),
		st("DeleteServiceLinkedRole", "", "RoleName", "AWSServiceRoleForAutoScaling").capturing("DeletionTaskId"),
		st("DeleteServiceLinkedRole", "not_service_linked", "RoleName", "app-role"),
		st("DeleteServiceLinkedRole", "NoSuchEntity", "RoleName", "AWSServiceRoleForAutoScaling"),
		st("GetServiceLinkedRoleDeletionStatus", "", "DeletionTaskId", "{{DeletionTaskId}}"),
		st("GetServiceLinkedRoleDeletionStatus", "invalid", "DeletionTaskId", "task/not-a-task"),

		// OpenID Connect providers.
		st("CreateOpenIDConnectProvider", "", "Url", "https://token.example.com", "ClientIDList.member.1", "sts.amazonaws.com",
			"ThumbprintList.member.1", goldenThumb),
		st("CreateOpenIDConnectProvider", "EntityAlreadyExists", "Url", "https://token.example.com", "ThumbprintList.member.1", goldenThumb),
		st("CreateOpenIDConnectProvider", "second", "Url", "https://auth.example.org/realm", "ThumbprintList.member.1", goldenThumb),
		st("GetOpenIDConnectProvider", "", "OpenIDConnectProviderArn", oidcARN),
		st("ListOpenIDConnectProviders", ""),
		st("DeleteOpenIDConnectProvider", "", "OpenIDConnectProviderArn", oidcARN),
		st("GetOpenIDConnectProvider", "NoSuchEntity", "OpenIDConnectProviderArn", oidcARN),

		// SAML providers.
		st("CreateSAMLProvider", "", "Name", "corp-idp", "SAMLMetadataDocument", saml),
		st("CreateSAMLProvider", "InvalidInput", "Name", "bad-idp", "SAMLMetadataDocument", "<not-metadata>"+strings.Repeat("x", 1000)+"</not-metadata>"),
		st("CreateSAMLProvider", "ValidationError", "Name", "bad-idp", "SAMLMetadataDocument", "<too-short/>"),
		st("CreateSAMLProvider", "EntityAlreadyExists", "Name", "corp-idp", "SAMLMetadataDocument", saml),
		st("GetSAMLProvider", "", "SAMLProviderArn", samlARN),
		st("ListSAMLProviders", ""),
		st("DeleteSAMLProvider", "", "SAMLProviderArn", samlARN),
		st("GetSAMLProvider", "NoSuchEntity", "SAMLProviderArn", samlARN),

		// Account.
		st("CreateAccountAlias", "", "AccountAlias", "iamd-golden"),
		st("CreateAccountAlias", "ValidationError", "AccountAlias", "Bad_Alias"),
		st("ListAccountAliases", ""),
		st("DeleteAccountAlias", "", "AccountAlias", "iamd-golden"),
		st("DeleteAccountAlias", "NoSuchEntity", "AccountAlias", "iamd-golden"),
		st("ListAccountAliases", "empty"),
		st("GetAccountSummary", ""),
		st("GetAccountAuthorizationDetails", ""),
		st("GetAccountAuthorizationDetails", "filtered", "Filter.member.1", "Role"),

		// Deletes: each refused while the entity is in use, then cleaned up.
		st("DeleteUser", "DeleteConflict", "UserName", "alice"),
		st("DeleteGroup", "DeleteConflict", "GroupName", "devs"),
		st("DeleteRole", "DeleteConflict", "RoleName", "app-role"),
		st("DeletePolicy", "DeleteConflict", "PolicyArn", customARN),
		st("DeleteUserPolicy", "", "UserName", "alice", "PolicyName", "inline-deny"),
		st("DeleteUserPolicy", "NoSuchEntity", "UserName", "alice", "PolicyName", "inline-deny"),
		st("DeleteGroupPolicy", "", "GroupName", "devs", "PolicyName", "inline-deny"),
		st("DeleteRolePolicy", "", "RoleName", "app-role", "PolicyName", "inline-deny"),
		st("ListUserPolicies", "empty", "UserName", "alice"),
		st("DetachUserPolicy", "", "UserName", "alice", "PolicyArn", customARN),
		st("DetachUserPolicy", "aws_managed", "UserName", "alice", "PolicyArn", awsManagedARN),
		st("DetachGroupPolicy", "", "GroupName", "devs", "PolicyArn", customARN),
		st("DetachGroupPolicy", "aws_managed", "GroupName", "devs", "PolicyArn", awsManagedARN),
		st("DetachRolePolicy", "", "RoleName", "app-role", "PolicyArn", customARN),
		st("DetachRolePolicy", "aws_managed", "RoleName", "app-role", "PolicyArn", awsManagedARN),
		st("DetachRolePolicy", "NoSuchEntity", "RoleName", "app-role", "PolicyArn", awsManagedARN),
		st("RemoveUserFromGroup", "alice", "GroupName", "devs", "UserName", "alice"),
		st("DeleteAccessKey", "alice", "UserName", "alice", "AccessKeyId", "{{AccessKeyId}}"),
		st("DeleteUser", "", "UserName", "alice"),
		st("DeleteUser", "carol", "UserName", "carol"),
		st("DeleteUser", "NoSuchEntity", "UserName", "alice"),
		st("DeleteGroup", "", "GroupName", "devs"),
		st("DeleteGroup", "NoSuchEntity", "GroupName", "devs"),
		st("DeleteRole", "", "RoleName", "app-role"),
		st("DeleteRole", "NoSuchEntity", "RoleName", "app-role"),
		st("DeletePolicy", "DeleteConflict_versions", "PolicyArn", customARN),
		st("DeletePolicyVersion", "v5", "PolicyArn", customARN, "VersionId", "v5"),
		st("DeletePolicy", "", "PolicyArn", customARN),
		st("DeletePolicy", "NoSuchEntity", "PolicyArn", customARN),
		st("ListUsers", "empty"),
		st("ListRoles", "empty"),
		st("ListPolicies", "empty", "Scope", "Local"),

		// Credential report and access advisor (reports.go).
		st("GetCredentialReport", "ReportNotPresent"),
		st("CreateUser", "auditor", "UserName", "auditor"),
		st("PutUserPolicy", "auditor", "UserName", "auditor", "PolicyName", "ReadIAM",
			"PolicyDocument", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}`),
		st("GenerateCredentialReport", ""),
		st("GenerateCredentialReport", "COMPLETE"),
		st("GetCredentialReport", ""),
		st("GenerateServiceLastAccessedDetails", "", "Arn", "arn:aws:iam::"+goldenAccount+":user/auditor").capturing("JobId"),
		st("GetServiceLastAccessedDetails", "", "JobId", "{{JobId}}"),
		st("GetServiceLastAccessedDetailsWithEntities", "", "JobId", "{{JobId}}", "ServiceNamespace", "iam"),
		st("GetServiceLastAccessedDetails", "NoSuchEntity", "JobId", "00000000-0000-4000-8000-000000000000"),
		st("GenerateServiceLastAccessedDetails", "NoSuchEntity", "Arn", "arn:aws:iam::"+goldenAccount+":user/nobody"),
		st("ListPoliciesGrantingServiceAccess", "", "Arn", "arn:aws:iam::"+goldenAccount+":user/auditor",
			"ServiceNamespaces.member.1", "iam", "ServiceNamespaces.member.2", "sts"),
		st("GenerateOrganizationsAccessReport", "OrganizationNotFoundException", "EntityPath", "o-a1b2c3d4e5/r-f6g7h8i9j0example"),
		st("ListOrganizationsFeatures", "OrganizationNotFoundException"),
		st("EnableOrganizationsRootSessions", "OrganizationNotFoundException"),
		st("DisableOrganizationsRootCredentialsManagement", "OrganizationNotFoundException"),
	}
}

// goldenClock is the scenario's settable clock.
type goldenClock struct{ ns atomic.Int64 }

func (c *goldenClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }
func (c *goldenClock) now() time.Time  { return time.Unix(0, c.ns.Load()).UTC() }

// goldenRequired are the operations the scenario must call at least once.
var goldenRequired = []string{
	"CreateUser", "GetUser", "ListUsers", "UpdateUser", "DeleteUser", "TagUser", "ListUserTags", "UntagUser",
	"CreateGroup", "GetGroup", "ListGroups", "DeleteGroup", "AddUserToGroup", "ListGroupsForUser", "RemoveUserFromGroup",
	"CreateAccessKey", "ListAccessKeys", "UpdateAccessKey", "GetAccessKeyLastUsed", "DeleteAccessKey",
	"CreateRole", "GetRole", "ListRoles", "UpdateRole", "UpdateRoleDescription", "UpdateAssumeRolePolicy", "DeleteRole",
	"TagRole", "ListRoleTags", "UntagRole",
	"CreatePolicy", "GetPolicy", "ListPolicies", "DeletePolicy", "CreatePolicyVersion", "GetPolicyVersion",
	"ListPolicyVersions", "SetDefaultPolicyVersion", "DeletePolicyVersion", "TagPolicy", "UntagPolicy", "ListPolicyTags",
	"AttachUserPolicy", "AttachGroupPolicy", "AttachRolePolicy", "DetachUserPolicy", "DetachGroupPolicy", "DetachRolePolicy",
	"ListAttachedUserPolicies", "ListAttachedGroupPolicies", "ListAttachedRolePolicies", "ListEntitiesForPolicy",
	"PutUserPolicy", "GetUserPolicy", "ListUserPolicies", "DeleteUserPolicy",
	"PutGroupPolicy", "GetGroupPolicy", "ListGroupPolicies", "DeleteGroupPolicy",
	"PutRolePolicy", "GetRolePolicy", "ListRolePolicies", "DeleteRolePolicy",
	"PutUserPermissionsBoundary", "PutRolePermissionsBoundary", "DeleteUserPermissionsBoundary", "DeleteRolePermissionsBoundary",
	"CreateInstanceProfile", "AddRoleToInstanceProfile", "GetInstanceProfile", "ListInstanceProfiles",
	"ListInstanceProfilesForRole", "RemoveRoleFromInstanceProfile", "DeleteInstanceProfile",
	"CreateServiceLinkedRole", "DeleteServiceLinkedRole", "GetServiceLinkedRoleDeletionStatus",
	"CreateOpenIDConnectProvider", "GetOpenIDConnectProvider", "ListOpenIDConnectProviders", "DeleteOpenIDConnectProvider",
	"CreateSAMLProvider", "GetSAMLProvider", "ListSAMLProviders", "DeleteSAMLProvider",
	"CreateAccountAlias", "ListAccountAliases", "DeleteAccountAlias", "GetAccountSummary", "GetAccountAuthorizationDetails",
}

func newGoldenHandler(t *testing.T, clk *goldenClock) *Handler {
	t.Helper()
	clk.set(goldenTime)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	kr, _, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := iam.NewService(ctx, iam.Config{Store: db, Keyring: kr, Clock: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Bootstrap(ctx, iam.BootstrapConfig{AccountID: goldenAccount, RootAccessKeyID: benchKeyID, RootSecret: benchSecret}); err != nil {
		t.Fatal(err)
	}
	return NewHandler(Config{Service: svc, Clock: clk.now})
}

// goldenRequest signs a form POST as the root user at time at.
func goldenRequest(t *testing.T, body string, at time.Time) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:9393/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: benchKeyID, SecretAccessKey: benchSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "iam", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return req
}

// goldenNormalizer replaces what differs between runs. Unique IDs, access
// key IDs and UUIDs are numbered in order of first appearance across the
// whole scenario, so a golden file still shows which entity a value refers
// to (the same <ID-n> in CreateUser, GetGroup and ListEntitiesForPolicy).
type goldenNormalizer struct {
	seen map[string]string
	n    map[string]int
}

var (
	reRequestID = regexp.MustCompile(`<RequestId>[^<]*</RequestId>`)
	// Unique IDs: a prefix and 17 base32 characters, wherever they occur
	// (elements, ARNs, messages).
	reUniqueID = regexp.MustCompile(`(AIDA|AGPA|AROA|ANPA|AIPA|ASCA|APKA|ACCA)[A-Z2-7]{17}\b`)
	reKeyID    = regexp.MustCompile(`AKIA[A-Z2-7]{16}\b`)
	reUUID     = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	reSecret   = regexp.MustCompile(`<(SecretAccessKey|ServicePassword)>[^<]{40,}</`)
	reSAMLUUID = regexp.MustCompile(`<SAMLProviderUUID>[0-9A-F]{32}</SAMLProviderUUID>`)
)

func (g *goldenNormalizer) number(kind, v string) string {
	key := kind + "\x00" + v
	if s, ok := g.seen[key]; ok {
		return s
	}
	g.n[kind]++
	s := "<" + kind + "-" + strconv.Itoa(g.n[kind]) + ">"
	g.seen[key] = s
	return s
}

func (g *goldenNormalizer) normalize(s string) string {
	s = reRequestID.ReplaceAllString(s, "<RequestId>REQUEST-ID</RequestId>")
	s = reSecret.ReplaceAllString(s, "<$1><SECRET></")
	s = reSAMLUUID.ReplaceAllStringFunc(s, func(m string) string {
		id := strings.TrimSuffix(strings.TrimPrefix(m, "<SAMLProviderUUID>"), "</SAMLProviderUUID>")
		return "<SAMLProviderUUID>" + g.number("SAML-UUID", id) + "</SAMLProviderUUID>"
	})
	s = reUniqueID.ReplaceAllStringFunc(s, func(m string) string { return m[:4] + g.number("ID", m) })
	s = reKeyID.ReplaceAllStringFunc(s, func(m string) string {
		if m == benchKeyID { // the root key is fixed
			return m
		}
		return "AKIA" + g.number("KEY", m)
	})
	return reUUID.ReplaceAllStringFunc(s, func(m string) string { return g.number("UUID", m) })
}

// TestGoldenXML replays a scripted scenario over every entity-surface
// operation and compares each response, normalized, with
// testdata/golden/NNN_Operation[_case].xml. Run with -update to rewrite
// the files after an intended change, and review the diff.
func TestGoldenXML(t *testing.T) {
	clk := &goldenClock{}
	h := newGoldenHandler(t, clk)
	steps := goldenScenario(t)
	norm := &goldenNormalizer{seen: map[string]string{}, n: map[string]int{}}
	vars := map[string]string{}
	reVar := regexp.MustCompile(`\{\{(\w+)\}\}`)

	if *update {
		resetGoldenDir(t, goldenDir)
	}
	written := map[string]bool{}
	for i, s := range steps {
		form := url.Values{"Action": {s.action}, "Version": {"2010-05-08"}}
		if len(s.params)%2 != 0 {
			t.Fatalf("step %d %s: odd parameter list", i+1, s.action)
		}
		for j := 0; j+1 < len(s.params); j += 2 {
			v := reVar.ReplaceAllStringFunc(s.params[j+1], func(m string) string {
				name := m[2 : len(m)-2]
				val, ok := vars[name]
				if !ok {
					t.Fatalf("step %d %s: %s not captured yet", i+1, s.action, name)
				}
				return val
			})
			form.Add(s.params[j], v)
		}
		at := goldenTime.Add(time.Duration(i) * time.Second)
		clk.set(at)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, goldenRequest(t, form.Encode(), at))
		body := rec.Body.String()
		for _, c := range s.capture {
			elem, as, ok := strings.Cut(c, ":")
			if !ok {
				as = elem
			}
			m := regexp.MustCompile(`<` + elem + `>([^<]*)</` + elem + `>`).FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("step %d %s: no <%s> to capture in:\n%s", i+1, s.action, elem, body)
			}
			vars[as] = m[1]
		}

		got := fmt.Sprintf("HTTP %d %s\n%s", rec.Code, http.StatusText(rec.Code), norm.normalize(body))
		name := fmt.Sprintf("%03d_%s", i+1, s.action)
		if s.suffix != "" {
			name += "_" + s.suffix
		}
		name += ".xml"
		if written[name] {
			t.Fatalf("two steps write %s", name)
		}
		written[name] = true
		checkGolden(t, filepath.Join(goldenDir, name), got, "TestGoldenXML")
	}
	called := map[string]bool{}
	for _, s := range steps {
		called[s.action] = true
	}
	for _, op := range goldenRequired {
		if !called[op] {
			t.Errorf("the scenario never calls %s", op)
		}
	}
	if !*update {
		files, _ := filepath.Glob(filepath.Join(goldenDir, "*.xml"))
		for _, f := range files {
			if !written[filepath.Base(f)] {
				t.Errorf("%s: no scenario step produces this golden file (stale? run with -update)", f)
			}
		}
	}
}

// firstDiff describes the first differing line of want and got with a
// little context; "" if they are equal.
func firstDiff(want, got string) string {
	if want == got {
		return ""
	}
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(wl) && i < len(gl) && wl[i] == gl[i] {
		i++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "first difference at line %d (- golden, + got):\n", i+1)
	for j := max(0, i-2); j < i; j++ {
		fmt.Fprintf(&b, "  %4d   %s\n", j+1, wl[j])
	}
	for j := i; j < min(len(wl), i+3); j++ {
		fmt.Fprintf(&b, "- %4d   %s\n", j+1, wl[j])
	}
	for j := i; j < min(len(gl), i+3); j++ {
		fmt.Fprintf(&b, "+ %4d   %s\n", j+1, gl[j])
	}
	return b.String()
}

// TestIssue4OperationsImplemented checks that every IAM operation the
// entity-surface issue requires is routed.
func TestIssue4OperationsImplemented(t *testing.T) {
	ops := []string{
		// Users, groups, access keys.
		"CreateUser", "GetUser", "ListUsers", "UpdateUser", "DeleteUser", "TagUser", "ListUserTags", "UntagUser",
		"CreateGroup", "GetGroup", "ListGroups", "UpdateGroup", "DeleteGroup", "AddUserToGroup", "ListGroupsForUser", "RemoveUserFromGroup",
		"CreateAccessKey", "ListAccessKeys", "UpdateAccessKey", "GetAccessKeyLastUsed", "DeleteAccessKey",
		// Roles.
		"CreateRole", "GetRole", "ListRoles", "UpdateRole", "UpdateRoleDescription", "UpdateAssumeRolePolicy", "DeleteRole",
		"TagRole", "ListRoleTags", "UntagRole",
		"CreateServiceLinkedRole", "DeleteServiceLinkedRole", "GetServiceLinkedRoleDeletionStatus",
		// Managed policies.
		"CreatePolicy", "GetPolicy", "ListPolicies", "DeletePolicy", "CreatePolicyVersion", "GetPolicyVersion",
		"ListPolicyVersions", "SetDefaultPolicyVersion", "DeletePolicyVersion", "TagPolicy", "UntagPolicy", "ListPolicyTags",
		"AttachUserPolicy", "AttachGroupPolicy", "AttachRolePolicy", "DetachUserPolicy", "DetachGroupPolicy", "DetachRolePolicy",
		"ListAttachedUserPolicies", "ListAttachedGroupPolicies", "ListAttachedRolePolicies", "ListEntitiesForPolicy",
		// Inline policies and boundaries.
		"PutUserPolicy", "GetUserPolicy", "ListUserPolicies", "DeleteUserPolicy",
		"PutGroupPolicy", "GetGroupPolicy", "ListGroupPolicies", "DeleteGroupPolicy",
		"PutRolePolicy", "GetRolePolicy", "ListRolePolicies", "DeleteRolePolicy",
		"PutUserPermissionsBoundary", "PutRolePermissionsBoundary", "DeleteUserPermissionsBoundary", "DeleteRolePermissionsBoundary",
		// Instance profiles.
		"CreateInstanceProfile", "AddRoleToInstanceProfile", "GetInstanceProfile", "ListInstanceProfiles",
		"ListInstanceProfilesForRole", "RemoveRoleFromInstanceProfile", "DeleteInstanceProfile",
		"TagInstanceProfile", "UntagInstanceProfile", "ListInstanceProfileTags",
		// Identity providers.
		"CreateOpenIDConnectProvider", "GetOpenIDConnectProvider", "ListOpenIDConnectProviders", "DeleteOpenIDConnectProvider",
		"AddClientIDToOpenIDConnectProvider", "RemoveClientIDFromOpenIDConnectProvider", "UpdateOpenIDConnectProviderThumbprint",
		"CreateSAMLProvider", "GetSAMLProvider", "ListSAMLProviders", "UpdateSAMLProvider", "DeleteSAMLProvider",
		// SSH keys, signing and server certificates, service-specific credentials.
		"UploadSSHPublicKey", "GetSSHPublicKey", "ListSSHPublicKeys", "UpdateSSHPublicKey", "DeleteSSHPublicKey",
		"UploadSigningCertificate", "ListSigningCertificates", "UpdateSigningCertificate", "DeleteSigningCertificate",
		"UploadServerCertificate", "GetServerCertificate", "ListServerCertificates", "UpdateServerCertificate",
		"DeleteServerCertificate", "TagServerCertificate", "UntagServerCertificate", "ListServerCertificateTags",
		"CreateServiceSpecificCredential", "ListServiceSpecificCredentials", "ResetServiceSpecificCredential",
		"UpdateServiceSpecificCredential", "DeleteServiceSpecificCredential",
		// Account.
		"CreateAccountAlias", "ListAccountAliases", "DeleteAccountAlias", "SetSecurityTokenServicePreferences",
		"GetAccountSummary", "GetAccountAuthorizationDetails",
	}
	for _, op := range ops {
		if !Implemented("iam", op) {
			t.Errorf("Implemented(iam, %s) = false, want true", op)
		}
	}
}

// resetGoldenDir empties dir of golden files before -update rewrites
// them, so that files of removed steps do not linger.
func resetGoldenDir(t *testing.T, dir string) {
	t.Helper()
	old, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

// checkGolden compares got with the golden file at path, or writes it
// there under -update; test names the test to re-run with -update.
func checkGolden(t *testing.T, path, got, test string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%s: %v (run go test ./httpapi -run %s -update)", path, err, test)
		return
	}
	if d := firstDiff(string(want), got); d != "" {
		t.Errorf("%s differs from the golden file (run with -update if intended):\n%s", path, d)
	}
}
