package awsmanaged

import (
	"regexp"
	"testing"

	"github.com/iamd/iamd/policy"
)

func TestCatalog(t *testing.T) {
	if err := Err(); err != nil {
		t.Fatal(err)
	}
	all := All()
	if len(all) != 1594 {
		t.Errorf("len(All()) = %d, want 1594 (data/README.md)", len(all))
	}
	idRE := regexp.MustCompile(`^ANPA[A-Z2-7]{17}$`)
	ids := map[string]string{}
	for _, p := range all {
		if !idRE.MatchString(p.ID) {
			t.Errorf("%s: ID %s, want ANPA + 17", p.Name, p.ID)
		}
		if other, dup := ids[p.ID]; dup {
			t.Errorf("%s and %s share ID %s", p.Name, other, p.ID)
		}
		ids[p.ID] = p.Name
		if Lookup(p.ARN) != p {
			t.Errorf("Lookup(%s) does not return the listed policy", p.ARN)
		}
		if _, err := policy.Parse(p.Document, policy.Identity); err != nil {
			t.Errorf("%s: document does not parse: %v", p.Name, err)
		}
	}
	admin := Lookup("arn:aws:iam::aws:policy/AdministratorAccess")
	if admin == nil || admin.Path != "/" || admin.DefaultVersionID == "" || admin.CreateDate.IsZero() {
		t.Fatalf("AdministratorAccess = %+v", admin)
	}
	if policyID("AdministratorAccess") != admin.ID {
		t.Error("IDs are not stable")
	}
	if Lookup("arn:aws:iam::aws:policy/NoSuchPolicy") != nil || Lookup("arn:aws:iam::123456789012:policy/AdministratorAccess") != nil {
		t.Error("Lookup found a policy that is not in the catalog")
	}
}
