// Package authzapi serves iamd's authorization API: other services ask
// iamd to authenticate their clients' SigV4 requests and to decide
// actions on their resources with iamd's policies (docs/authz-api.md).
//
// It sits beside httpapi, over iam: the native JSON endpoints under
// /iamd/authz/v1/ (messages in package wire, shared with authzclient),
// adapters that speak MinIO's access management plugin, Ceph RGW's OPA
// hook and the OpenID AuthZEN evaluation API, and endpoints for custom
// service definitions and policy validation. Decisions come from
// iam.Service.Decide, the enforcement path, and are recorded in the audit
// trail in groups (audit.go). server mounts the Handler; loadtest measures
// it (docs/bench/authz.md).
package authzapi
