package iam_test

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

// parseReport reads a credential report with encoding/csv and returns its
// rows keyed by the user column.
func parseReport(t *testing.T, content []byte) map[string]map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(content)).ReadAll()
	if err != nil {
		t.Fatalf("credential report is not CSV: %v\n%s", err, content)
	}
	if len(recs) < 2 {
		t.Fatalf("credential report has %d lines, want a header and rows", len(recs))
	}
	header := recs[0]
	if len(header) != len(iam.CredentialReportColumns) {
		t.Fatalf("header has %d columns, want %d: %v", len(header), len(iam.CredentialReportColumns), header)
	}
	for i, c := range iam.CredentialReportColumns {
		if header[i] != c {
			t.Errorf("column %d = %q, want %q", i+1, header[i], c)
		}
	}
	rows := map[string]map[string]string{}
	for _, r := range recs[1:] {
		row := map[string]string{}
		for i, c := range header {
			row[c] = r[i]
		}
		rows[r[0]] = row
	}
	return rows
}

func TestCredentialReport(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	created := f.now

	_, err := f.svc.GetCredentialReport(ctx, f.root)
	wantCode(t, err, iam.CodeReportNotPresent)

	alice := f.mustUser(t, "alice")
	f.mustUser(t, "bob")
	if _, err := f.svc.CreateLoginProfile(ctx, f.root, "alice", "Sup3r-secret-pw!", false); err != nil {
		t.Fatal(err)
	}
	maxAge := 90
	if err := f.svc.UpdateAccountPasswordPolicy(ctx, f.root, iam.PasswordPolicyInput{MaxPasswordAge: &maxAge}); err != nil {
		t.Fatal(err)
	}
	k1, err := f.svc.CreateAccessKey(ctx, f.root, "alice")
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Minute)
	k2, err := f.svc.CreateAccessKey(ctx, f.root, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.UpdateAccessKey(ctx, f.root, "alice", k2.Key.ID, iam.StatusInactive); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Minute)
	used := f.now
	f.svc.RecordKeyUse(k1.Key.ID, "iam", "eu-west-1")
	f.svc.RecordPasswordUse(account, alice.ID)

	gen, err := f.svc.GenerateCredentialReport(ctx, f.root)
	if err != nil {
		t.Fatal(err)
	}
	if gen.State != iam.ReportStarted || gen.Description == "" {
		t.Errorf("first GenerateCredentialReport = %+v, want STARTED with a description", gen)
	}
	gen, err = f.svc.GenerateCredentialReport(ctx, f.root)
	if err != nil || gen.State != iam.ReportComplete || gen.Description != "" {
		t.Errorf("second GenerateCredentialReport = %+v, %v; want COMPLETE", gen, err)
	}
	rep, err := f.svc.GetCredentialReport(ctx, f.root)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ReportFormat != "text/csv" || !rep.GeneratedTime.Equal(used) {
		t.Errorf("report format %q generated %v, want text/csv at %v", rep.ReportFormat, rep.GeneratedTime, used)
	}
	rows := parseReport(t, rep.Content)
	iso := func(tm time.Time) string { return tm.UTC().Format("2006-01-02T15:04:05+00:00") }
	for _, tc := range []struct {
		user, column, want string
	}{
		{"<root_account>", "arn", "arn:aws:iam::" + account + ":root"},
		{"<root_account>", "user_creation_time", iso(created)},
		{"<root_account>", "password_enabled", "not_supported"},
		{"<root_account>", "password_last_used", "no_information"},
		{"<root_account>", "password_last_changed", "not_supported"},
		{"<root_account>", "password_next_rotation", "not_supported"},
		{"<root_account>", "mfa_active", "false"},
		{"<root_account>", "access_key_1_active", "true"},
		{"<root_account>", "access_key_1_last_rotated", iso(created)},
		{"<root_account>", "access_key_1_last_used_date", "N/A"},
		{"<root_account>", "access_key_2_active", "false"},
		{"<root_account>", "access_key_2_last_rotated", "N/A"},
		{"<root_account>", "cert_1_active", "false"},
		{"<root_account>", "cert_1_last_rotated", "N/A"},
		{"alice", "arn", "arn:aws:iam::" + account + ":user/alice"},
		{"alice", "user_creation_time", iso(created)},
		{"alice", "password_enabled", "true"},
		{"alice", "password_last_used", iso(used)},
		{"alice", "password_last_changed", iso(created)},
		{"alice", "password_next_rotation", iso(created.AddDate(0, 0, 90))},
		{"alice", "mfa_active", "false"},
		{"alice", "access_key_1_active", "true"},
		{"alice", "access_key_1_last_rotated", iso(created)},
		{"alice", "access_key_1_last_used_date", iso(used)},
		{"alice", "access_key_1_last_used_region", "eu-west-1"},
		{"alice", "access_key_1_last_used_service", "iam"},
		{"alice", "access_key_2_active", "false"},
		// Inactive: "If the user does not have an active access key, the
		// value in this field is N/A" (IAM User Guide).
		{"alice", "access_key_2_last_rotated", "N/A"},
		{"alice", "access_key_2_last_used_date", "N/A"},
		{"alice", "access_key_2_last_used_region", "N/A"},
		{"alice", "access_key_2_last_used_service", "N/A"},
		{"alice", "cert_2_active", "false"},
		{"alice", "cert_2_last_rotated", "N/A"},
		{"bob", "password_enabled", "false"},
		{"bob", "password_last_used", "N/A"},
		{"bob", "password_last_changed", "N/A"},
		{"bob", "password_next_rotation", "N/A"},
		{"bob", "access_key_1_active", "false"},
		{"bob", "access_key_1_last_rotated", "N/A"},
		{"bob", "access_key_1_last_used_date", "N/A"},
	} {
		row, ok := rows[tc.user]
		if !ok {
			t.Fatalf("report has no row for %s: %s", tc.user, rep.Content)
		}
		if got := row[tc.column]; got != tc.want {
			t.Errorf("%s %s = %q, want %q", tc.user, tc.column, got, tc.want)
		}
	}
	if len(rows) != 3 {
		t.Errorf("report has %d rows, want root, alice and bob", len(rows))
	}

	// Four hours on, the report has expired and a new one is started.
	f.now = f.now.Add(iam.CredentialReportMaxAge)
	_, err = f.svc.GetCredentialReport(ctx, f.root)
	wantCode(t, err, iam.CodeReportExpired)
	gen, err = f.svc.GenerateCredentialReport(ctx, f.root)
	if err != nil || gen.State != iam.ReportStarted || gen.Description != "" {
		t.Errorf("GenerateCredentialReport after expiry = %+v, %v; want STARTED", gen, err)
	}
	if rep, err = f.svc.GetCredentialReport(ctx, f.root); err != nil || !rep.GeneratedTime.Equal(f.now) {
		t.Errorf("GetCredentialReport after regeneration = %v, %v", rep, err)
	}
}

func TestCredentialReportNeedsPermission(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	f.mustUser(t, "carol")
	k, err := f.svc.CreateAccessKey(ctx, f.root, "carol")
	if err != nil {
		t.Fatal(err)
	}
	carol := f.svc.Authenticate(k.Key.ID).Principal
	_, err = f.svc.GenerateCredentialReport(ctx, carol)
	wantCode(t, err, iam.CodeAccessDenied)
	_, err = f.svc.GetCredentialReport(ctx, carol)
	wantCode(t, err, iam.CodeAccessDenied)
	if err := f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerUser, "carol", "reports",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GetCredentialReport"],"Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GenerateCredentialReport(ctx, carol); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GetCredentialReport(ctx, carol); err != nil {
		t.Fatal(err)
	}
}

// TestCredentialReportInactiveCredentials checks the columns of keys and
// signing certificates that are not active against the IAM User Guide's
// "Getting credential reports": last_rotated is N/A for a credential that is
// not active, while the last-used columns depend only on whether (and how)
// the key was used, so a used key that was deactivated keeps them.
func TestCredentialReportInactiveCredentials(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	f.mustUser(t, "carol")
	created := f.now
	k1, err := f.svc.CreateAccessKey(ctx, f.root, "carol")
	mustOK(t, err)
	f.now = f.now.Add(time.Minute)
	_, err = f.svc.CreateAccessKey(ctx, f.root, "carol")
	mustOK(t, err)
	f.now = f.now.Add(time.Minute)
	used := f.now
	f.svc.RecordKeyUse(k1.Key.ID, "sts", "eu-central-1")
	mustOK(t, f.svc.FlushKeyUse(ctx))
	mustOK(t, f.svc.UpdateAccessKey(ctx, f.root, "carol", k1.Key.ID, iam.StatusInactive))

	key := rsaKey2048()
	body1, _ := certPEM(t, "carol-1", key, nil, nil, f.now.Add(-time.Hour), 24*time.Hour)
	c1, err := f.svc.UploadSigningCertificate(ctx, f.root, "carol", body1)
	mustOK(t, err)
	f.now = f.now.Add(time.Minute)
	uploaded2 := f.now
	body2, _ := certPEM(t, "carol-2", key, nil, nil, f.now.Add(-time.Hour), 24*time.Hour)
	_, err = f.svc.UploadSigningCertificate(ctx, f.root, "carol", body2)
	mustOK(t, err)
	mustOK(t, f.svc.UpdateSigningCertificate(ctx, f.root, "carol", c1.Cert.ID, iam.StatusInactive))

	_, err = f.svc.GenerateCredentialReport(ctx, f.root)
	mustOK(t, err)
	rep, err := f.svc.GetCredentialReport(ctx, f.root)
	mustOK(t, err)
	row := parseReport(t, rep.Content)["carol"]
	if row == nil {
		t.Fatalf("report has no row for carol:\n%s", rep.Content)
	}
	iso := func(tm time.Time) string { return tm.UTC().Format("2006-01-02T15:04:05+00:00") }
	for _, tc := range []struct{ column, want string }{
		{"access_key_1_active", "false"},
		{"access_key_1_last_rotated", "N/A"},
		{"access_key_1_last_used_date", iso(used)},
		{"access_key_1_last_used_region", "eu-central-1"},
		{"access_key_1_last_used_service", "sts"},
		{"access_key_2_active", "true"},
		{"access_key_2_last_rotated", iso(created.Add(time.Minute))},
		{"access_key_2_last_used_date", "N/A"},
		{"access_key_2_last_used_region", "N/A"},
		{"access_key_2_last_used_service", "N/A"},
		{"cert_1_active", "false"},
		{"cert_1_last_rotated", "N/A"},
		{"cert_2_active", "true"},
		{"cert_2_last_rotated", iso(uploaded2)},
	} {
		if got := row[tc.column]; got != tc.want {
			t.Errorf("carol %s = %q, want %q", tc.column, got, tc.want)
		}
	}
}
