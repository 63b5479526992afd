package storetest

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

// activityTests check ActivityTx: access advisor records and reports.
var activityTests = []test{
	{"ServiceAccessUpsert", testServiceAccessUpsert},
	{"Reports", testReports},
}

func testServiceAccessUpsert(t *testing.T, s iam.Store) {
	const alice = "arn:aws:iam::000000000001:user/alice"
	const group = "arn:aws:iam::000000000001:group/dev"
	rec := func(account, entity, action string, d int, region string) iam.ServiceAccess {
		return iam.ServiceAccess{AccountID: account, EntityARN: entity, PrincipalARN: alice, Action: action,
			Time: at(0).Add(secs(d)), Region: region}
	}
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "PutServiceAccess", tx.PutServiceAccess([]iam.ServiceAccess{
			rec(accountID(1), alice, "iam:GetUser", 10, "us-east-1"),
			rec(accountID(1), alice, "sts:GetCallerIdentity", 5, "eu-west-1"),
			rec(accountID(1), group, "iam:GetUser", 10, "us-east-1"),
			rec(accountID(2), alice, "iam:GetUser", 99, "us-east-1"), // another account
		}))
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		// An older use must not replace a newer one; a newer one must.
		noErr(t, "PutServiceAccess(again)", tx.PutServiceAccess([]iam.ServiceAccess{
			rec(accountID(1), alice, "iam:GetUser", 3, "ap-south-1"),
			rec(accountID(1), alice, "sts:GetCallerIdentity", 20, "us-west-2"),
		}))
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.ServiceAccess(accountID(1), alice)
		noErr(t, "ServiceAccess(alice)", err)
		slices.SortFunc(got, func(a, b iam.ServiceAccess) int { return strings.Compare(a.Action, b.Action) })
		want := []iam.ServiceAccess{
			rec(accountID(1), alice, "iam:GetUser", 10, "us-east-1"),
			rec(accountID(1), alice, "sts:GetCallerIdentity", 20, "us-west-2"),
		}
		if len(got) != len(want) {
			t.Fatalf("ServiceAccess(alice) = %d records, want %d: %+v", len(got), len(want), got)
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.AccountID != w.AccountID || g.EntityARN != w.EntityARN || g.PrincipalARN != w.PrincipalARN ||
				g.Action != w.Action || g.Region != w.Region || !sameSecond(g.Time, w.Time) || g.Time.Location().String() != "UTC" {
				t.Errorf("ServiceAccess(alice)[%d] = %+v, want %+v", i, g, w)
			}
		}
		g, err := tx.ServiceAccess(accountID(1), group)
		noErr(t, "ServiceAccess(group)", err)
		if len(g) != 1 || g[0].PrincipalARN != alice {
			t.Errorf("ServiceAccess(group) = %+v, want alice's one record", g)
		}
		none, err := tx.ServiceAccess(accountID(3), alice)
		noErr(t, "ServiceAccess(other account)", err)
		if len(none) != 0 {
			t.Errorf("ServiceAccess(account 3) = %+v, want none", none)
		}
		return nil
	})
}

func testReports(t *testing.T, s iam.Store) {
	r1 := &iam.Report{ID: "credential-report:000000000001", AccountID: accountID(1), Kind: "credential-report",
		Created: at(0), Body: []byte("user,arn\n")}
	r2 := &iam.Report{ID: "job-2", AccountID: accountID(1), Kind: "access-advisor", Created: at(0).Add(secs(3600)), Body: []byte(`{}`)}
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "PutReport(r1)", tx.PutReport(r1))
		noErr(t, "PutReport(r2)", tx.PutReport(r2))
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.Report(r1.ID)
		noErr(t, "Report(r1)", err)
		if got.AccountID != r1.AccountID || got.Kind != r1.Kind || !sameSecond(got.Created, r1.Created) || !bytes.Equal(got.Body, r1.Body) {
			t.Errorf("Report(r1) = %+v, want %+v", got, r1)
		}
		_, err = tx.Report("missing")
		wantErr(t, "Report(missing)", err, iam.ErrNotFound)
		return nil
	})
	// Replacing keeps one row with the new content.
	r1b := *r1
	r1b.Created, r1b.Body = at(0).Add(secs(7200)), []byte("user,arn\nalice,x\n")
	update(t, s, func(tx iam.Tx) error { return tx.PutReport(&r1b) })
	update(t, s, func(tx iam.Tx) error { return tx.DeleteReportsBefore(at(0).Add(secs(3600))) })
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.Report(r1.ID)
		noErr(t, "Report(r1 replaced)", err)
		if !bytes.Equal(got.Body, r1b.Body) || !sameSecond(got.Created, r1b.Created) {
			t.Errorf("Report(r1 replaced) = %+v, want %+v", got, r1b)
		}
		_, err = tx.Report(r2.ID)
		noErr(t, "Report(r2, created at the cut-off)", err)
		return nil
	})
	update(t, s, func(tx iam.Tx) error { return tx.DeleteReportsBefore(at(0).Add(secs(3601))) })
	view(t, s, func(tx iam.Tx) error {
		_, err := tx.Report(r2.ID)
		wantErr(t, "Report(r2 after delete)", err, iam.ErrNotFound)
		return nil
	})
}

func secs(n int) time.Duration { return time.Duration(n) * time.Second }

func sameSecond(a, b time.Time) bool { return normTime(a).Equal(normTime(b)) }
