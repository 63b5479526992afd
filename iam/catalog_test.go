package iam_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/keyring"
	"github.com/iamd/iamd/servicecatalog"
	"github.com/iamd/iamd/sqlite"
)

const ordersDefinition = `{
  "prefix": "orders",
  "name": "Example Orders",
  "actions": [
    {"name": "GetOrder", "accessLevel": "Read",
     "resourceTypes": [{"name": "order", "required": true}],
     "conditionKeys": ["orders:Channel"]},
    {"name": "ListOrders", "accessLevel": "List"}
  ],
  "resourceTypes": [
    {"name": "order", "arn": "arn:${Partition}:orders:${Region}:${Account}:order/${OrderId}"}
  ],
  "conditionKeys": [{"name": "orders:Channel", "type": "String"}]
}`

const ordersPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"orders:GetOrder",
  "Resource":"arn:aws:orders:eu-west-1:111122223333:order/*","Condition":{"StringEquals":{"orders:Channel":"web"}}}]}`

func codes(fs []servicecatalog.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.IssueCode)
	}
	return out
}

func TestServiceDefinitions(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()

	d, err := f.svc.PutServiceDefinition(ctx, f.root, []byte(ordersDefinition))
	if err != nil {
		t.Fatalf("PutServiceDefinition: %v", err)
	}
	if d.Prefix != "orders" || !d.CreateDate.Equal(f.now) {
		t.Errorf("PutServiceDefinition = %+v", d)
	}
	got, err := f.svc.GetServiceDefinition(ctx, f.root, "Orders")
	if err != nil || got.Document != ordersDefinition {
		t.Fatalf("GetServiceDefinition = %+v, %v", got, err)
	}
	// Replacing keeps the create date.
	created := f.now
	f.now = f.now.Add(time.Hour)
	d, err = f.svc.PutServiceDefinition(ctx, f.root, []byte(strings.Replace(ordersDefinition, "Example Orders", "Orders v2", 1)))
	if err != nil || !d.CreateDate.Equal(created) || !d.UpdateDate.Equal(f.now) {
		t.Fatalf("PutServiceDefinition(replace) = %+v, %v", d, err)
	}
	list, err := f.svc.ListServiceDefinitions(ctx, f.root)
	if err != nil || len(list) != 1 || !strings.Contains(list[0].Document, "Orders v2") {
		t.Fatalf("ListServiceDefinitions = %+v, %v", list, err)
	}

	errs := []struct {
		name string
		err  error
		code iam.Code
	}{
		{"AWS prefix", second(f.svc.PutServiceDefinition(ctx, f.root, []byte(strings.Replace(ordersDefinition, `"prefix": "orders"`, `"prefix": "s3"`, 1)))), iam.CodeInvalidInput},
		{"invalid definition", second(f.svc.PutServiceDefinition(ctx, f.root, []byte(`{"prefix":"x"}`))), iam.CodeInvalidInput},
		{"not JSON", second(f.svc.PutServiceDefinition(ctx, f.root, []byte(`nope`))), iam.CodeInvalidInput},
		{"get missing", second(f.svc.GetServiceDefinition(ctx, f.root, "billing")), iam.CodeNoSuchEntity},
		{"get bad prefix", second(f.svc.GetServiceDefinition(ctx, f.root, "a:b")), iam.CodeValidationError},
		{"delete missing", f.svc.DeleteServiceDefinition(ctx, f.root, "billing"), iam.CodeNoSuchEntity},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.err, tt.code) })
	}

	if err := f.svc.DeleteServiceDefinition(ctx, f.root, "orders"); err != nil {
		t.Fatalf("DeleteServiceDefinition: %v", err)
	}
	wantCode(t, second(f.svc.GetServiceDefinition(ctx, f.root, "orders")), iam.CodeNoSuchEntity)
}

func second[T any](_ T, err error) error { return err }

func TestServiceDefinitionAuthorization(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	f.mustUser(t, "dev")
	k, err := f.svc.CreateAccessKey(ctx, f.root, "dev")
	if err != nil {
		t.Fatal(err)
	}
	dev := f.svc.Authenticate(k.Key.ID).Principal
	wantCode(t, second(f.svc.PutServiceDefinition(ctx, dev, []byte(ordersDefinition))), iam.CodeAccessDenied)
	wantCode(t, second(f.svc.ListServiceDefinitions(ctx, dev)), iam.CodeAccessDenied)
	wantCode(t, second(f.svc.ValidatePolicy(dev, ordersPolicy, iam.ValidateIdentityPolicy)), iam.CodeAccessDenied)

	grant := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iamd:PutServiceDefinition","iamd:GetServiceDefinition","iamd:ValidatePolicy"],
	  "Resource":["arn:aws:iamd::111122223333:service/orders","*"]}]}`
	if err := f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerUser, "dev", "catalog", grant); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PutServiceDefinition(ctx, dev, []byte(ordersDefinition)); err != nil {
		t.Fatalf("PutServiceDefinition as allowed user: %v", err)
	}
	if _, err := f.svc.GetServiceDefinition(ctx, dev, "orders"); err != nil {
		t.Fatalf("GetServiceDefinition as allowed user: %v", err)
	}
	if _, err := f.svc.ValidatePolicy(dev, ordersPolicy, iam.ValidateIdentityPolicy); err != nil {
		t.Fatalf("ValidatePolicy as allowed user: %v", err)
	}
	wantCode(t, f.svc.DeleteServiceDefinition(ctx, dev, "orders"), iam.CodeAccessDenied)

	// Another account's root is cross-account to the catalog.
	other, err := f.svc.CreateAccount(ctx, "444455556666")
	if err != nil {
		t.Fatal(err)
	}
	otherRoot := f.svc.Authenticate(other.RootAccessKeyID).Principal
	wantCode(t, second(f.svc.PutServiceDefinition(ctx, otherRoot, []byte(strings.ReplaceAll(ordersDefinition, "orders", "billing")))), iam.CodeAccessDenied)
	wantCode(t, f.svc.DeleteServiceDefinition(ctx, otherRoot, "orders"), iam.CodeAccessDenied)
	// Validation is open to every account (with iamd:ValidatePolicy; root has it).
	if _, err := f.svc.ValidatePolicy(otherRoot, ordersPolicy, iam.ValidateIdentityPolicy); err != nil {
		t.Errorf("ValidatePolicy as another account's root: %v", err)
	}
}

// TestCustomServiceValidatesAndSimulates is the end-to-end path of a custom
// service: defined, its policy validates clean, a simulation allows its
// action, and after deletion the same policy no longer validates.
func TestCustomServiceValidatesAndSimulates(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()

	fs, err := f.svc.ValidatePolicy(f.root, ordersPolicy, iam.ValidateIdentityPolicy)
	if err != nil {
		t.Fatal(err)
	}
	if got := codes(fs); !slices.Contains(got, servicecatalog.IssueInvalidServiceInAction) {
		t.Errorf("ValidatePolicy before the definition = %v; want INVALID_SERVICE_IN_ACTION", got)
	}
	if _, err := f.svc.PutServiceDefinition(ctx, f.root, []byte(ordersDefinition)); err != nil {
		t.Fatal(err)
	}
	fs, err = f.svc.ValidatePolicy(f.root, ordersPolicy, iam.ValidateIdentityPolicy)
	if err != nil || len(fs) != 0 {
		t.Fatalf("ValidatePolicy = %+v, %v; want no findings", fs, err)
	}
	bad := strings.Replace(ordersPolicy, "orders:GetOrder", "orders:GetOrders", 1)
	fs, _ = f.svc.ValidatePolicy(f.root, bad, iam.ValidateIdentityPolicy)
	if got := codes(fs); !slices.Equal(got, []string{servicecatalog.IssueInvalidAction}) {
		t.Errorf("ValidatePolicy(unknown custom action) = %v; want [INVALID_ACTION]", got)
	}
	wantCode(t, second(f.svc.ValidatePolicy(f.root, ordersPolicy, "TRUST_ME")), iam.CodeValidationError)

	out, err := f.svc.SimulateCustomPolicy(ctx, f.root, iam.SimulateInput{
		PolicyInputList: []string{ordersPolicy},
		ActionNames:     []string{"orders:GetOrder", "orders:ListOrders"},
		ResourceARNs:    []string{"arn:aws:orders:eu-west-1:111122223333:order/42"},
		ContextEntries:  []iam.ContextEntry{{Key: "orders:Channel", Values: []string{"web"}, Type: "string"}},
	})
	if err != nil {
		t.Fatalf("SimulateCustomPolicy: %v", err)
	}
	decisions := map[string]string{}
	for _, r := range out.Results {
		decisions[r.Action] = r.Decision
	}
	if decisions["orders:GetOrder"] != "allowed" || decisions["orders:ListOrders"] != "implicitDeny" {
		t.Errorf("SimulateCustomPolicy decisions = %v; want GetOrder allowed, ListOrders implicitDeny", decisions)
	}

	if err := f.svc.DeleteServiceDefinition(ctx, f.root, "orders"); err != nil {
		t.Fatal(err)
	}
	fs, _ = f.svc.ValidatePolicy(f.root, ordersPolicy, iam.ValidateIdentityPolicy)
	if got := codes(fs); !slices.Contains(got, servicecatalog.IssueInvalidServiceInAction) {
		t.Errorf("ValidatePolicy after delete = %v; want INVALID_SERVICE_IN_ACTION", got)
	}
}

// TestCustomServicesFollowChangeFeed: two nodes on one database; a
// definition written through one reaches the other's memory, and its
// access advisor catalog, on sync.
func TestCustomServicesFollowChangeFeed(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	kr, _, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	liveA, liveB := servicecatalog.NewLive(servicecatalog.AWS()), servicecatalog.NewLive(servicecatalog.AWS())
	a, err := iam.NewService(ctx, iam.Config{Store: db, Keyring: kr, Services: liveA})
	if err != nil {
		t.Fatal(err)
	}
	boot, err := a.Bootstrap(ctx, iam.BootstrapConfig{AccountID: account})
	if err != nil {
		t.Fatal(err)
	}
	root := a.Authenticate(boot.RootAccessKeyID).Principal
	b, err := iam.NewService(ctx, iam.Config{Store: db, Keyring: kr, Services: liveB})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.PutServiceDefinition(ctx, root, []byte(ordersDefinition)); err != nil {
		t.Fatal(err)
	}
	if n, ok := liveA.ServiceName("orders"); !ok || n != "Example Orders" {
		t.Errorf("node A advisor catalog ServiceName(orders) = %q, %v", n, ok)
	}
	if _, ok := liveB.ServiceName("orders"); ok {
		t.Fatal("node B knows the definition before syncing")
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetServiceDefinition(ctx, nil, "orders"); err != nil {
		t.Errorf("node B GetServiceDefinition after sync: %v", err)
	}
	if !slices.Contains(liveB.ServicePrefixes(), "orders") {
		t.Error("node B advisor catalog lacks orders after sync")
	}
	// A node started later loads it whole.
	c, err := iam.NewService(ctx, iam.Config{Store: db, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := c.ListServiceDefinitions(ctx, nil); err != nil || len(list) != 1 {
		t.Errorf("node C ListServiceDefinitions = %v, %v", list, err)
	}
	if err := a.DeleteServiceDefinition(ctx, root, "orders"); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := liveB.ServiceName("orders"); ok {
		t.Error("node B advisor catalog still names orders after the delete")
	}
	wantCode(t, second(b.GetServiceDefinition(ctx, nil, "orders")), iam.CodeNoSuchEntity)
}

var _ iam.ServiceCatalog = (*servicecatalog.Live)(nil)

// TestCustomServiceInAccessAdvisor: a user whose policy grants a custom
// service's actions sees that service, under its name, in the access
// advisor report.
func TestCustomServiceInAccessAdvisor(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	kr, _, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := iam.NewService(ctx, iam.Config{Store: db, Keyring: kr, Services: servicecatalog.NewLive(servicecatalog.AWS())})
	if err != nil {
		t.Fatal(err)
	}
	boot, err := svc.Bootstrap(ctx, iam.BootstrapConfig{AccountID: account})
	if err != nil {
		t.Fatal(err)
	}
	root := svc.Authenticate(boot.RootAccessKeyID).Principal
	if _, err := svc.PutServiceDefinition(ctx, root, []byte(ordersDefinition)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, root, iam.CreateUserInput{UserName: "clerk"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.PutInlinePolicy(ctx, root, iam.OwnerUser, "clerk", "orders", ordersPolicy); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:iam::" + account + ":user/clerk"
	job, err := svc.GenerateServiceLastAccessedDetails(ctx, root, arn, iam.GranularityService)
	if err != nil {
		t.Fatal(err)
	}
	page, err := svc.GetServiceLastAccessedDetails(ctx, root, job, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range page.Items {
		got = append(got, s.ServiceNamespace+"="+s.ServiceName)
	}
	if !slices.Contains(got, "orders=Example Orders") {
		t.Errorf("access advisor services = %v; want orders=Example Orders", got)
	}
}
