// Package miniobench compares iamd's policy engine with MinIO's
// (github.com/minio/pkg/v3/policy) on the shared authorization workload
// (/work/shared/perf/README.md), side by side in one `go test -bench` run.
//
// It is a separate module on purpose: MinIO's packages must never enter
// the iamd binary's module graph. Only the test files use them.
//
// The workload is IAM identity policies for 1,000 users. MinIO evaluates
// S3 requests only and knows only S3 actions and ARNs and a fixed list of
// condition keys, so each pool statement is mapped for S3 as follows
// (mapping.go): action patterns MinIO does not recognize are dropped (a
// statement left with none cannot match an S3 request and is dropped);
// NotAction keeps its S3 patterns, or becomes "s3:*" if none is left;
// resource patterns other than "*" and arn:aws:s3:::... are dropped;
// conditions are passed through and MinIO's own ParseConfig decides
// whether it can express the statement. Statements it rejects are left
// out and every request they could apply to (by action and resource,
// decided with iamd's engine) is counted as not expressible. Condition
// keys are renamed as MinIO looks them up (aws:SourceIp -> SourceIp,
// s3:prefix -> prefix).
package miniobench
