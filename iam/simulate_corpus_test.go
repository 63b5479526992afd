package iam_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iamd/iamd/iam"
)

// corpusCase is the part of policy/testdata/corpus/*.json this test reads.
type simCorpusCase struct {
	Name      string `json:"name"`
	Principal *struct {
		Type string `json:"type"`
	} `json:"principal"`
	Policies struct {
		Identity []struct {
			Document json.RawMessage `json:"document"`
		} `json:"identity"`
		Resource *json.RawMessage  `json:"resource"`
		Boundary *json.RawMessage  `json:"boundary"`
		Session  []json.RawMessage `json:"session"`
		SCP      []json.RawMessage `json:"scp"`
	} `json:"policies"`
	Request *struct {
		Action   string              `json:"action"`
		Resource string              `json:"resource"`
		Context  map[string][]string `json:"context"`
	} `json:"request"`
	Expect struct {
		Decision string `json:"decision"`
	} `json:"expect"`
}

// TestSimulatorAgreesWithCorpus runs the policy engine's cited corpus
// through SimulateCustomPolicy: every case that a custom simulation can
// express (identity policies only, an IAM user as caller, no value derived
// from the caller's identity, which the simulator takes only from the
// context entries given) must get the corpus's decision.
func TestSimulatorAgreesWithCorpus(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	files, err := filepath.Glob("../policy/testdata/corpus/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("corpus files: %v %v", files, err)
	}
	want := map[string]string{"Allow": "allowed", "ExplicitDeny": "explicitDeny", "ImplicitDeny": "implicitDeny"}
	checked := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var cases []simCorpusCase
		if err := json.Unmarshal(data, &cases); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, c := range cases {
			if c.Request == nil || len(c.Policies.Identity) == 0 || c.Policies.Resource != nil || c.Policies.Boundary != nil ||
				len(c.Policies.Session) > 0 || len(c.Policies.SCP) > 0 || (c.Principal != nil && c.Principal.Type != "" && c.Principal.Type != "User") {
				continue
			}
			in := iam.SimulateInput{ActionNames: []string{c.Request.Action}, ResourceARNs: []string{c.Request.Resource}}
			skip := false
			for _, p := range c.Policies.Identity {
				doc := string(p.Document)
				if strings.Contains(doc, "${") || strings.Contains(doc, "aws:username") || strings.Contains(doc, "aws:userid") ||
					strings.Contains(doc, "aws:Principal") || strings.Contains(doc, "aws:principal") {
					skip = true
				}
				in.PolicyInputList = append(in.PolicyInputList, doc)
			}
			if skip {
				continue
			}
			for k, v := range c.Request.Context {
				typ := "string"
				if len(v) != 1 {
					typ = "stringList"
				}
				in.ContextEntries = append(in.ContextEntries, iam.ContextEntry{Key: k, Values: v, Type: typ})
			}
			out, err := f.svc.SimulateCustomPolicy(t.Context(), f.root, in)
			if err != nil {
				// Documents the simulator refuses (e.g. stricter validation of
				// new input) are not comparable.
				continue
			}
			checked++
			if len(out.Results) != 1 || out.Results[0].Decision != want[c.Expect.Decision] {
				got := "none"
				if len(out.Results) == 1 {
					got = out.Results[0].Decision
				}
				t.Errorf("%s: simulator decided %s, corpus expects %s", c.Name, got, c.Expect.Decision)
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d corpus cases were comparable; the filter is too strict", checked)
	}
	t.Logf("%d corpus cases checked through SimulateCustomPolicy", checked)
}
