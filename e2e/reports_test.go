package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// reportsUser creates a user with an access key and, when doc is not
// empty, an inline policy.
func reportsUser(t *testing.T, s *testServer, name, doc string) (keyID, secret string) {
	t.Helper()
	ctx := t.Context()
	root := s.rootIAM()
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if doc != "" {
		if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name),
			PolicyName: aws.String("inline"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
}

func TestCredentialReportSDK(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.rootIAM()

	_, err := root.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	wantAPIError(t, err, "ReportNotPresent", http.StatusGone)

	keyID, secret := reportsUser(t, s, "alice", "")
	if _, err := root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("alice"),
		Password: aws.String("Corr3ct-Horse-Battery")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.sts(keyID, secret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}

	gen, err := root.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
	if err != nil {
		t.Fatal(err)
	}
	if gen.State != types.ReportStateTypeStarted {
		t.Errorf("GenerateCredentialReport state = %s, want STARTED", gen.State)
	}
	gen, err = root.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
	if err != nil || gen.State != types.ReportStateTypeComplete {
		t.Fatalf("second GenerateCredentialReport = %+v, %v; want COMPLETE", gen, err)
	}
	rep, err := root.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ReportFormat != types.ReportFormatTypeTextCsv || rep.GeneratedTime == nil {
		t.Errorf("report format %q, generated %v", rep.ReportFormat, rep.GeneratedTime)
	}
	recs, err := csv.NewReader(bytes.NewReader(rep.Content)).ReadAll()
	if err != nil {
		t.Fatalf("report is not CSV: %v\n%s", err, rep.Content)
	}
	if len(recs) != 3 || len(recs[0]) != 22 || recs[0][0] != "user" || recs[0][21] != "cert_2_last_rotated" {
		t.Fatalf("report = %q, want a 22-column header, root and alice", recs)
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	if recs[1][0] != "<root_account>" || recs[1][col["password_enabled"]] != "not_supported" {
		t.Errorf("root row = %q", recs[1])
	}
	alice := recs[2]
	iso := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$`)
	for column, want := range map[string]string{
		"user": "alice", "arn": "arn:aws:iam::" + testAccount + ":user/alice", "password_enabled": "true",
		"password_last_used": "no_information", "password_next_rotation": "N/A", "mfa_active": "false",
		"access_key_1_active": "true", "access_key_1_last_used_region": "us-east-1", "access_key_1_last_used_service": "sts",
		"access_key_2_active": "false", "access_key_2_last_rotated": "N/A", "cert_1_active": "false",
	} {
		if got := alice[col[column]]; got != want {
			t.Errorf("alice %s = %q, want %q", column, got, want)
		}
	}
	for _, column := range []string{"user_creation_time", "password_last_changed", "access_key_1_last_rotated", "access_key_1_last_used_date"} {
		if got := alice[col[column]]; !iso.MatchString(got) {
			t.Errorf("alice %s = %q, want an ISO 8601 time", column, got)
		}
	}

	// Without iam:GetCredentialReport alice is refused.
	_, err = s.iam(keyID, secret).GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
}

func TestAccessAdvisorSDK(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.rootIAM()
	keyID, secret := reportsUser(t, s, "bob",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}`)
	bobARN := "arn:aws:iam::" + testAccount + ":user/bob"
	if _, err := s.iam(keyID, secret).GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Fatal(err)
	}

	gen, err := root.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{
		Arn: aws.String(bobARN), Granularity: types.AccessAdvisorUsageGranularityTypeActionLevel})
	if err != nil {
		t.Fatal(err)
	}
	det, err := root.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: gen.JobId})
	if err != nil {
		t.Fatal(err)
	}
	if det.JobStatus != types.JobStatusTypeCompleted || det.JobCompletionDate == nil || len(det.ServicesLastAccessed) != 1 {
		t.Fatalf("GetServiceLastAccessedDetails = %+v", det)
	}
	svc := det.ServicesLastAccessed[0]
	if aws.ToString(svc.ServiceNamespace) != "iam" || svc.LastAuthenticated == nil ||
		aws.ToString(svc.LastAuthenticatedEntity) != bobARN || aws.ToString(svc.LastAuthenticatedRegion) != "us-east-1" ||
		aws.ToInt32(svc.TotalAuthenticatedEntities) != 1 {
		t.Errorf("iam service = %+v", svc)
	}
	var getUser *types.TrackedActionLastAccessed
	for i, a := range svc.TrackedActionsLastAccessed {
		if aws.ToString(a.ActionName) == "GetUser" {
			getUser = &svc.TrackedActionsLastAccessed[i]
		}
		if aws.ToString(a.ActionName) == "CreateUser" {
			t.Errorf("tracked actions include CreateUser, which bob may not call")
		}
	}
	if getUser == nil || getUser.LastAccessedTime == nil || aws.ToString(getUser.LastAccessedEntity) != bobARN {
		t.Errorf("tracked GetUser = %+v", getUser)
	}

	ents, err := root.GetServiceLastAccessedDetailsWithEntities(ctx, &iam.GetServiceLastAccessedDetailsWithEntitiesInput{
		JobId: gen.JobId, ServiceNamespace: aws.String("iam")})
	if err != nil {
		t.Fatal(err)
	}
	if len(ents.EntityDetailsList) != 1 || aws.ToString(ents.EntityDetailsList[0].EntityInfo.Arn) != bobARN {
		t.Errorf("entities = %+v", ents.EntityDetailsList)
	}

	lp, err := root.ListPoliciesGrantingServiceAccess(ctx, &iam.ListPoliciesGrantingServiceAccessInput{
		Arn: aws.String(bobARN), ServiceNamespaces: []string{"iam", "sts"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(lp.PoliciesGrantingServiceAccess) != 2 || len(lp.PoliciesGrantingServiceAccess[0].Policies) != 1 ||
		lp.PoliciesGrantingServiceAccess[0].Policies[0].PolicyType != types.PolicyTypeInline ||
		len(lp.PoliciesGrantingServiceAccess[1].Policies) != 0 {
		t.Errorf("ListPoliciesGrantingServiceAccess = %+v", lp.PoliciesGrantingServiceAccess)
	}

	_, err = root.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{
		JobId: aws.String("00000000-0000-4000-8000-000000000000")})
	wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = root.GenerateOrganizationsAccessReport(ctx, &iam.GenerateOrganizationsAccessReportInput{
		EntityPath: aws.String("o-a1b2c3d4e5/r-f6g7h8i9j0example")})
	wantAPIError(t, err, "OrganizationNotFoundException", http.StatusBadRequest)
}

func TestRoleLastUsedSDK(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.rootIAM()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	got, err := root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
	if err != nil || got.Role.RoleLastUsed == nil || got.Role.RoleLastUsed.LastUsedDate != nil {
		t.Fatalf("GetRole before use = %+v, %v; want an empty RoleLastUsed", got, err)
	}
	// Root may not assume roles (as in AWS): a user allowed sts:AssumeRole does.
	keyID, secret := reportsUser(t, s, "runner",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	ar, err := s.sts(keyID, secret).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + testAccount + ":role/app"), RoleSessionName: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	c := ar.Credentials
	cfg := s.awsConfig(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	cfg.Region = "eu-central-1"
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	// Uses are written in batches (every 5 s); flush now rather than wait.
	if err := s.Service.FlushActivity(ctx); err != nil {
		t.Fatal(err)
	}
	got, err = root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	if lu := got.Role.RoleLastUsed; lu == nil || lu.LastUsedDate == nil || aws.ToString(lu.Region) != "eu-central-1" {
		t.Errorf("RoleLastUsed = %+v, want a date and eu-central-1", lu)
	}
}

// scrapeCounter returns the value of the first sample line starting with
// prefix in a /metrics scrape (0 when absent).
func scrapeCounter(t *testing.T, endpoint, prefix string) float64 {
	t.Helper()
	resp, err := http.Get(endpoint + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, prefix) {
			v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				t.Fatalf("metric line %q: %v", line, err)
			}
			return v
		}
	}
	if !strings.Contains(string(body), "go_goroutines") {
		t.Fatalf("scrape lacks the Go runtime metrics:\n%s", body)
	}
	return 0
}

func TestMetricsAndReadiness(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	const ok = `iamd_requests_total{action="GetCallerIdentity",error_code="",service="sts",status="200"} `
	const denied = `iamd_requests_total{action="CreateUser",error_code="AccessDenied",service="iam",status="403"} `
	before := scrapeCounter(t, s.Endpoint(), ok)
	for range 3 {
		if _, err := s.sts(rootKeyID, rootSecretKey).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if after := scrapeCounter(t, s.Endpoint(), ok); after != before+3 {
		t.Errorf("GetCallerIdentity requests counted %v -> %v, want +3", before, after)
	}
	keyID, secret := reportsUser(t, s, "mallory", "")
	_, err := s.iam(keyID, secret).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	if got := scrapeCounter(t, s.Endpoint(), denied); got != 1 {
		t.Errorf("denied CreateUser counted %v, want 1", got)
	}
	if got := scrapeCounter(t, s.Endpoint(), `iamd_authorization_decisions_total{effect="ImplicitDeny"} `); got != 1 {
		t.Errorf("implicit denials = %v, want 1", got)
	}
	// mallory may read herself: one evaluated Allow more.
	allowBefore := scrapeCounter(t, s.Endpoint(), `iamd_authorization_decisions_total{effect="Allow"} `)
	if _, err := s.rootIAM().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("mallory"), PolicyName: aws.String("self"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"},` +
			`{"Effect":"Deny","Action":"iam:ListUsers","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.iam(keyID, secret).GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Fatal(err)
	}
	if got := scrapeCounter(t, s.Endpoint(), `iamd_authorization_decisions_total{effect="Allow"} `); got != allowBefore+1 {
		t.Errorf("Allow decisions %v -> %v, want +1", allowBefore, got)
	}
	_, err = s.iam(keyID, secret).ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	if got := scrapeCounter(t, s.Endpoint(), `iamd_authorization_decisions_total{effect="ExplicitDeny"} `); got != 1 {
		t.Errorf("explicit denials = %v, want 1", got)
	}
	if got := scrapeCounter(t, s.Endpoint(), "iamd_state_users "); got != 1 {
		t.Errorf("iamd_state_users = %v, want 1", got)
	}
	if got := scrapeCounter(t, s.Endpoint(), "iamd_audit_record_duration_seconds_count "); got < 1 {
		t.Errorf("audit record latency observed %v times, want at least one (CreateUser)", got)
	}
	resp, err := http.Get(s.Endpoint() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz = %d, want 200", resp.StatusCode)
	}
}

// TestCredentialReportCLI runs generate-credential-report and
// get-credential-report with every aws CLI on the machine.
func TestCredentialReportCLI(t *testing.T) {
	clis := awsCLIs()
	if len(clis) == 0 {
		if os.Getenv("IAMD_REQUIRE_AWS_CLI") != "" {
			t.Fatal("no aws CLI found and IAMD_REQUIRE_AWS_CLI is set")
		}
		t.Skip("no aws CLI installed; CI installs one")
	}
	for _, cli := range clis {
		t.Run(cli, func(t *testing.T) {
			s := startServer(t, "")
			run := func(args ...string) []byte {
				t.Helper()
				cmd := exec.CommandContext(t.Context(), cli, append([]string{"--endpoint-url", s.Endpoint(), "--output", "json", "iam"}, args...)...)
				cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+rootKeyID, "AWS_SECRET_ACCESS_KEY="+rootSecretKey,
					"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
				out, err := cmd.Output()
				if err != nil {
					var stderr []byte
					if ee, ok := err.(*exec.ExitError); ok {
						stderr = ee.Stderr
					}
					t.Fatalf("aws iam %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
				}
				return out
			}
			var gen struct{ State, Description string }
			if err := json.Unmarshal(run("generate-credential-report"), &gen); err != nil || gen.State != "STARTED" {
				t.Fatalf("generate-credential-report = %+v, %v", gen, err)
			}
			var rep struct{ Content, ReportFormat, GeneratedTime string }
			if err := json.Unmarshal(run("get-credential-report"), &rep); err != nil {
				t.Fatal(err)
			}
			// The CLI prints the blob base64-encoded, as AWS sends it.
			content, err := decodeBase64(rep.Content)
			if err != nil || !strings.HasPrefix(string(content), "user,arn,user_creation_time,") ||
				!strings.Contains(string(content), "\n<root_account>,arn:aws:iam::"+testAccount+":root,") || rep.ReportFormat != "text/csv" {
				t.Errorf("get-credential-report = %+v (%q, %v)", rep, content, err)
			}
		})
	}
}

func decodeBase64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
