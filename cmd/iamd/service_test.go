package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServiceCommands(t *testing.T) {
	dir := t.TempDir()
	env := func(string) string { return "" }
	def := filepath.Join(dir, "orders.json")
	if err := os.WriteFile(def, []byte(`{"prefix":"orders","name":"Example Orders",
	  "actions":[{"name":"GetOrder","accessLevel":"Read","resourceTypes":[{"name":"order","required":true}]}],
	  "resourceTypes":[{"name":"order","arn":"arn:${Partition}:orders:${Region}:${Account}:order/${OrderId}"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(good, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"orders:GetOrder","Resource":"arn:aws:orders:eu-west-1:111122223333:order/1"}]}`), 0o600)
	os.WriteFile(bad, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"orders:GetOrders","Resource":"*"}]}`), 0o600)

	cmd := func(args ...string) (string, error) {
		var out strings.Builder
		err := run(t.Context(), append([]string{"service"}, append(args, "--data-dir", dir)...), env, &out, io.Discard)
		return out.String(), err
	}
	steps := []struct {
		args    []string
		want    string // substring of the output
		wantErr bool
	}{
		{[]string{"list"}, "", false},
		{[]string{"put", def}, "service orders stored", false},
		{[]string{"list"}, "orders\tExample Orders\t", false},
		{[]string{"get", "orders"}, `"prefix":"orders"`, false},
		{[]string{"validate", good}, "[]", false},
		{[]string{"validate", bad}, "INVALID_ACTION", true},
		{[]string{"validate", good, "--type", "NOPE"}, "", true},
		{[]string{"delete", "orders"}, "service orders deleted", false},
		{[]string{"get", "orders"}, "", true},
		{[]string{"delete", "orders"}, "", true},
		{[]string{"put"}, "", true},
		{[]string{"frobnicate"}, "", true},
	}
	for _, s := range steps {
		out, err := cmd(s.args...)
		if (err != nil) != s.wantErr || !strings.Contains(out, s.want) {
			t.Errorf("iamd service %s = %q, err %v; want output containing %q, error %v",
				strings.Join(s.args, " "), out, err, s.want, s.wantErr)
		}
	}
	if err := run(t.Context(), []string{"service"}, env, io.Discard, io.Discard); err == nil {
		t.Error("iamd service without a subcommand succeeded")
	}
}
