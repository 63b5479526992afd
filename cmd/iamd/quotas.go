package main

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/iamd/iamd/iam"
)

// parseQuotas reads "Name=value,Name=value" into AWS's default quotas,
// with Name any field of iam.Quotas (UsersPerAccount, RolesPerAccount,
// AccessKeysPerUser, ...). Empty keeps the defaults.
func parseQuotas(spec string) (iam.Quotas, error) {
	q := iam.DefaultQuotas()
	if strings.TrimSpace(spec) == "" {
		return q, nil
	}
	v := reflect.ValueOf(&q).Elem()
	for _, item := range strings.Split(spec, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return q, fmt.Errorf("quota %q: want Name=value", item)
		}
		f := v.FieldByName(strings.TrimSpace(name))
		if !f.IsValid() || f.Kind() != reflect.Int {
			return q, fmt.Errorf("unknown quota %q; known: %s", name, strings.Join(quotaNames(), ", "))
		}
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil || n < 1 {
			return q, fmt.Errorf("quota %s: %q is not a positive integer", name, val)
		}
		f.SetInt(int64(n))
	}
	return q, nil
}

func quotaNames() []string {
	t := reflect.TypeOf(iam.Quotas{})
	var names []string
	for i := range t.NumField() {
		names = append(names, t.Field(i).Name)
	}
	slices.Sort(names)
	return names
}
