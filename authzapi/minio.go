package authzapi

import (
	"strings"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/policy"
)

// MinIO's access management plugin (MINIO_POLICY_PLUGIN_URL): MinIO POSTs
// {"input": {...}} for every authenticated API call and reads
// {"result": true|false}. The input, as MinIO documents it in
// docs/iam/access-management-plugin.md, is below; iamd maps account to an
// IAM user of the adapter's account (owner: true to that account's root),
// bucket and object to arn:aws:s3:::bucket/object, and the S3 condition
// values MinIO collects to their IAM condition keys. groups and claims are
// MinIO's own and are not used: iamd knows its users' groups.

type minioRequest struct {
	Input minioInput `json:"input"`
}

type minioInput struct {
	Account    string              `json:"account"`
	Groups     []string            `json:"groups"`
	Action     string              `json:"action"`
	Bucket     string              `json:"bucket"`
	Object     string              `json:"object"`
	Conditions map[string][]string `json:"conditions"`
	Owner      bool                `json:"owner"`
	Claims     map[string]any      `json:"claims"`
	DenyOnly   bool                `json:"denyOnly"`
}

type pluginResult struct {
	Result bool `json:"result"`
}

// minioConditionKeys maps MinIO's condition names (as it sends them,
// without a prefix) to IAM's keys. The rest either describe the principal
// or the clock, which iamd sets itself, or are raw headers.
var minioConditionKeys = map[string]string{
	"sourceip": "aws:SourceIp", "securetransport": "aws:SecureTransport", "useragent": "aws:UserAgent",
	"referer": "aws:Referer", "prefix": "s3:prefix", "delimiter": "s3:delimiter", "max-keys": "s3:max-keys",
	"versionid": "s3:versionid", "x-amz-acl": "s3:x-amz-acl", "x-amz-copy-source": "s3:x-amz-copy-source",
	"x-amz-server-side-encryption": "s3:x-amz-server-side-encryption", "x-amz-metadata-directive": "s3:x-amz-metadata-directive",
	"x-amz-storage-class": "s3:x-amz-storage-class", "locationconstraint": "s3:LocationConstraint",
	"object-lock-mode": "s3:object-lock-mode", "object-lock-retain-until-date": "s3:object-lock-retain-until-date",
	"object-lock-legal-hold": "s3:object-lock-legal-hold",
}

func minioCheck(in *minioInput) iam.Check {
	ck := iam.Check{Action: in.Action, Resource: "*"}
	switch {
	case in.Bucket != "" && in.Object != "":
		ck.Resource = "arn:aws:s3:::" + in.Bucket + "/" + in.Object
	case in.Bucket != "":
		ck.Resource = "arn:aws:s3:::" + in.Bucket
	}
	for k, v := range in.Conditions {
		lk := strings.ToLower(k)
		if key, ok := minioConditionKeys[lk]; ok && len(v) > 0 && !(len(v) == 1 && v[0] == "") {
			ck.Context = setKey(ck.Context, key, v)
			continue
		}
		if strings.HasPrefix(lk, "existingobjecttag/") || strings.HasPrefix(lk, "requestobjecttag/") {
			ck.Context = setKey(ck.Context, "s3:"+k, v)
		}
	}
	return ck
}

func setKey(m map[string][]string, k string, v []string) map[string][]string {
	if m == nil {
		m = make(map[string][]string, 4)
	}
	m[k] = v
	return m
}

func (h *Handler) minio(c *call) (any, *apiError) {
	var in minioRequest
	if aerr := decodeJSON(c.body, &in); aerr != nil {
		return nil, aerr
	}
	ck := minioCheck(&in.Input)
	var p *iam.Principal
	if in.Input.Owner {
		p = &iam.Principal{Type: iam.PrincipalRoot, AccountID: adapterAccount(c), UserID: adapterAccount(c),
			ARN: "arn:aws:iam::" + adapterAccount(c) + ":root", Request: &iam.RequestInfo{Time: c.now}}
	}
	res, aerr := h.adapterDecide(c, in.Input.Account, p, ck, "minio")
	if aerr != nil {
		return nil, aerr
	}
	if in.Input.DenyOnly {
		// MinIO asks only whether something denies (its service accounts'
		// parent check): anything but an explicit deny passes.
		return pluginResult{Result: res.Decision != policy.ExplicitDeny}, nil
	}
	return pluginResult{Result: res.Decision == policy.Allow}, nil
}
