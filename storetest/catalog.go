package storetest

import (
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

// serviceCatalogTests check ServiceCatalogTx: custom service definitions
// and their change-feed entries.
var serviceCatalogTests = []test{
	{"PutGetListDelete", testServiceDefinitions},
	{"Changes", testServiceDefinitionChanges},
}

func testServiceDefinitions(t *testing.T, s iam.Store) {
	a := &iam.ServiceDefinition{Prefix: "orders", Document: `{"prefix":"orders"}`, CreateDate: at(0), UpdateDate: at(0)}
	b := &iam.ServiceDefinition{Prefix: "billing", Document: `{"prefix":"billing"}`, CreateDate: at(time.Minute), UpdateDate: at(time.Minute)}
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.ServiceDefinitions()
		noErr(t, "ServiceDefinitions(empty)", err)
		if len(got) != 0 {
			t.Errorf("ServiceDefinitions(empty) = %d definitions, want 0", len(got))
		}
		_, err = tx.ServiceDefinition("orders")
		wantErr(t, "ServiceDefinition(missing)", err, iam.ErrNotFound)
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "PutServiceDefinition(orders)", tx.PutServiceDefinition(a))
		noErr(t, "PutServiceDefinition(billing)", tx.PutServiceDefinition(b))
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.ServiceDefinition("orders")
		noErr(t, "ServiceDefinition(orders)", err)
		pcEqual(t, "ServiceDefinition(orders)", got, a)
		list, err := tx.ServiceDefinitions()
		noErr(t, "ServiceDefinitions", err)
		pcEqual(t, "ServiceDefinitions", list, []*iam.ServiceDefinition{b, a})
		return nil
	})
	// Replacing keeps the create date and takes the new document and
	// update date.
	repl := &iam.ServiceDefinition{Prefix: "orders", Document: `{"prefix":"orders","v":2}`,
		CreateDate: at(time.Hour), UpdateDate: at(time.Hour)}
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "PutServiceDefinition(replace)", tx.PutServiceDefinition(repl))
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.ServiceDefinition("orders")
		noErr(t, "ServiceDefinition(replaced)", err)
		want := &iam.ServiceDefinition{Prefix: "orders", Document: repl.Document, CreateDate: a.CreateDate, UpdateDate: repl.UpdateDate}
		pcEqual(t, "ServiceDefinition(replaced)", got, want)
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "DeleteServiceDefinition(orders)", tx.DeleteServiceDefinition("orders"))
		wantErr(t, "DeleteServiceDefinition(again)", tx.DeleteServiceDefinition("orders"), iam.ErrNotFound)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		_, err := tx.ServiceDefinition("orders")
		wantErr(t, "ServiceDefinition(deleted)", err, iam.ErrNotFound)
		list, err := tx.ServiceDefinitions()
		noErr(t, "ServiceDefinitions after delete", err)
		pcEqual(t, "ServiceDefinitions after delete", list, []*iam.ServiceDefinition{b})
		return nil
	})
}

// testServiceDefinitionChanges: nodes learn of other nodes' definitions
// from the feed, so every put (new or replacing) and delete must appear.
func testServiceDefinitionChanges(t *testing.T, s iam.Store) {
	var rev int64
	view(t, s, func(tx iam.Tx) error {
		var err error
		rev, err = tx.Revision()
		noErr(t, "Revision", err)
		return nil
	})
	d := &iam.ServiceDefinition{Prefix: "orders", Document: "{}", CreateDate: at(0), UpdateDate: at(0)}
	update(t, s, func(tx iam.Tx) error { return tx.PutServiceDefinition(d) })
	update(t, s, func(tx iam.Tx) error { return tx.PutServiceDefinition(d) })
	update(t, s, func(tx iam.Tx) error { return tx.DeleteServiceDefinition("orders") })
	cs := changesAfter(t, s, rev)
	n := 0
	for _, c := range cs {
		if c.Kind == iam.ChangeServiceDefinition && c.ID == "orders" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("changes after put, put, delete = %s; want 3 servicedefinition changes for orders", showChanges(cs))
	}
}
