package servicecatalog

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/iamd/iamd/policy"
)

func TestParseDefinition(t *testing.T) {
	s := mustParse(t, exampleDefinition)
	if s.Prefix != "orders" || len(s.Actions) != 4 || len(s.ResourceTypes) != 1 || len(s.ConditionKeys) != 3 {
		t.Fatalf("ParseDefinition = %+v", s)
	}
	if _, ok := s.Action("getorder"); !ok {
		t.Error("Action(getorder) not found")
	}
	if !s.HasConditionKey("orders:channel") || s.HasConditionKey("orders:nope") {
		t.Error("HasConditionKey wrong")
	}
}

// edit returns the example definition with one change applied to its
// decoded form.
func edit(t *testing.T, f func(m map[string]any)) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(exampleDefinition), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func action(m map[string]any, i int) map[string]any { return m["actions"].([]any)[i].(map[string]any) }

func TestParseDefinitionErrors(t *testing.T) {
	tests := []struct {
		name, def, want string
	}{
		{"not JSON", `{"prefix":`, "not valid JSON"},
		{"trailing data", exampleDefinition + ` {}`, "content after"},
		{"unknown field", `{"prefix":"x","name":"X","actions":[{"name":"A","accessLevel":"Read"}],"extra":1}`, "unknown field"},
		{"wrong type", `{"prefix":1}`, "must be"},
		{"bad prefix", edit(t, func(m map[string]any) { m["prefix"] = "Orders" }), "prefix"},
		{"prefix with colon", edit(t, func(m map[string]any) { m["prefix"] = "a:b" }), "prefix"},
		{"no name", edit(t, func(m map[string]any) { m["name"] = "" }), "name is required"},
		{"no actions", edit(t, func(m map[string]any) { m["actions"] = []any{} }), "at least one action"},
		{"bad action name", edit(t, func(m map[string]any) { action(m, 0)["name"] = "Get*" }), "action name"},
		{"duplicate action", edit(t, func(m map[string]any) { action(m, 1)["name"] = "getorder" }), "defined twice"},
		{"bad access level", edit(t, func(m map[string]any) { action(m, 0)["accessLevel"] = "Admin" }), "accessLevel"},
		{"undefined resource type", edit(t, func(m map[string]any) {
			action(m, 0)["resourceTypes"] = []any{map[string]any{"name": "invoice"}}
		}), "not defined"},
		{"undeclared key", edit(t, func(m map[string]any) { action(m, 0)["conditionKeys"] = []any{"orders:Nope"} }), "neither declared"},
		{"unknown global key", edit(t, func(m map[string]any) { action(m, 0)["conditionKeys"] = []any{"aws:Nope"} }), "neither declared"},
		{"key of other service", edit(t, func(m map[string]any) {
			m["conditionKeys"] = []any{map[string]any{"name": "s3:Thing", "type": "String"}}
		}), "must start with"},
		{"bad key type", edit(t, func(m map[string]any) {
			m["conditionKeys"].([]any)[0].(map[string]any)["type"] = "Text"
		}), "unknown type"},
		{"ARN with bad service", edit(t, func(m map[string]any) {
			m["resourceTypes"].([]any)[0].(map[string]any)["arn"] = "arn:${Partition}:S3:::${Bucket}"
		}), "arn service"},
		{"ARN with wildcard", edit(t, func(m map[string]any) {
			m["resourceTypes"].([]any)[0].(map[string]any)["arn"] = "arn:${Partition}:orders:*:*:order/*"
		}), "wildcards"},
		{"ARN too short", edit(t, func(m map[string]any) {
			m["resourceTypes"].([]any)[0].(map[string]any)["arn"] = "arn:${Partition}:orders"
		}), "arn must be"},
		{"bad dependent action", edit(t, func(m map[string]any) { action(m, 0)["dependentActions"] = []any{"nocolon"} }), "dependent action"},
		{"not UTF-8", "{\"prefix\":\"x\xff\"}", "UTF-8"},
		{"too large", `{"name":"` + strings.Repeat("a", MaxDefinitionSize) + `"}`, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDefinition([]byte(tt.def))
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("ParseDefinition: err = %v; want a *DefinitionError", err)
			}
			if !strings.Contains(de.Msg, tt.want) {
				t.Errorf("ParseDefinition: %q; want it to mention %q", de.Msg, tt.want)
			}
		})
	}
}

// The AWS data must itself pass the custom-definition checks, which keeps
// the two formats one. (sts is left out: it lists the condition keys of
// identity providers, accounts.google.com:aud and the like, which a custom
// service may not declare.)
func TestAWSDataIsValidDefinitionFormat(t *testing.T) {
	c := AWS()
	for _, p := range []string{"iam", "s3", "ec2", "kms", "lambda", "dynamodb"} {
		s, ok := c.Service(p)
		if !ok {
			t.Fatalf("Service(%q) not found", p)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseDefinition(b); err != nil {
			t.Errorf("AWS service %s does not parse as a definition: %v", p, err)
		}
	}
}

func FuzzParseDefinition(f *testing.F) {
	f.Add([]byte(exampleDefinition))
	f.Add([]byte(`{"prefix":"x","name":"X","actions":[{"name":"A","accessLevel":"Read"}]}`))
	f.Add([]byte(`{"prefix":"x","name":"X","actions":[{"name":"A","accessLevel":"Tagging, Write","resourceTypes":[{"name":"r"}]}],"resourceTypes":[{"name":"r","arn":"arn:${Partition}:x:::${R}"}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseDefinition(data)
		if err != nil {
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DefinitionError", err)
			}
			return
		}
		// What parses must round-trip and stay usable by the validator.
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := ParseDefinition(b)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", b, err)
		}
		if len(s2.Actions) != len(s.Actions) || s2.Prefix != s.Prefix {
			t.Fatalf("round trip changed the definition")
		}
		c := AWS().WithCustom([]*Service{s})
		for _, a := range s.Actions {
			if _, _, ok := c.Action(s.Prefix + ":" + a.Name); !ok && !c.IsAWS(s.Prefix) {
				t.Fatalf("action %s:%s not found", s.Prefix, a.Name)
			}
		}
	})
}

// The example in docs/custom-services.md must stay a valid definition.
func TestDocsExampleParses(t *testing.T) {
	b, err := os.ReadFile("../docs/custom-services.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```json\n")
	if !ok {
		t.Fatal("docs/custom-services.md has no json example")
	}
	example, _, _ := strings.Cut(rest, "```")
	s, err := ParseDefinition([]byte(example))
	if err != nil {
		t.Fatalf("the documented example does not parse: %v", err)
	}
	if s.Prefix != "orders" || len(s.Actions) != 4 {
		t.Errorf("documented example = %s with %d actions", s.Prefix, len(s.Actions))
	}
}

func TestBuiltinIamdService(t *testing.T) {
	for p, def := range builtin {
		if _, err := ParseDefinition([]byte(def)); err != nil {
			t.Errorf("built-in service %s does not parse: %v", p, err)
		}
	}
	c := AWS()
	if !c.IsAWS("iamd") {
		t.Error("iamd is not reserved")
	}
	fs := ValidateDocument(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iamd:Authorize","iamd:PutServiceDefinition"],"Resource":"*"}]}`, policy.Identity, c)
	if len(fs) != 0 {
		t.Errorf("policy naming iamd actions: findings %+v", fs)
	}
}
