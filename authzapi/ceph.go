package authzapi

import (
	"net/url"
	"strings"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/policy"
)

// Ceph RGW's Open Policy Agent integration (rgw_use_opa_authz): after
// authenticating a request, RGW POSTs {"input": {...}} to rgw_opa_url with
// the token of rgw_opa_token in X-Auth-Token and reads {"result": bool}.
// The input (src/rgw/rgw_opa.cc) carries the HTTP method, the URI, the
// raw parameters, the object name, the subuser and RGW's full user and
// bucket records. RGW names no S3 action, so iamd derives one from the
// method, whether an object is named, and the sub-resource parameter
// (cephAction); user_info.user_id (without its "tenant$" prefix) is an IAM
// user of the adapter's account. user_info also holds the user's RGW keys:
// it is read for user_id only and never recorded.

type cephRequest struct {
	Input cephInput `json:"input"`
}

type cephInput struct {
	Method     string `json:"method"`
	RelURI     string `json:"relative_uri"`
	DecodedURI string `json:"decoded_uri"`
	Params     string `json:"params"`
	ObjectName string `json:"object_name"`
	Subuser    string `json:"subuser"`
	UserInfo   struct {
		UserID      string `json:"user_id"`
		DisplayName string `json:"display_name"`
	} `json:"user_info"`
	BucketInfo struct {
		Bucket struct {
			Name     string `json:"name"`
			Tenant   string `json:"tenant"`
			BucketID string `json:"bucket_id"`
		} `json:"bucket"`
		Owner string `json:"owner"`
	} `json:"bucket_info"`
}

// cephSubresources maps a sub-resource parameter to the actions on a
// bucket and on an object, for reads (GET/HEAD) and writes (PUT/POST), in
// the order they are looked for (a request names one).
var cephSubresources = []struct {
	param   string
	actions [4]string // bucket read, bucket write, object read, object write
}{
	{"acl", [4]string{"s3:GetBucketAcl", "s3:PutBucketAcl", "s3:GetObjectAcl", "s3:PutObjectAcl"}},
	{"policy", [4]string{"s3:GetBucketPolicy", "s3:PutBucketPolicy", "", ""}},
	{"tagging", [4]string{"s3:GetBucketTagging", "s3:PutBucketTagging", "s3:GetObjectTagging", "s3:PutObjectTagging"}},
	{"versioning", [4]string{"s3:GetBucketVersioning", "s3:PutBucketVersioning", "", ""}},
	{"versions", [4]string{"s3:ListBucketVersions", "", "", ""}},
	{"uploads", [4]string{"s3:ListBucketMultipartUploads", "", "", "s3:PutObject"}},
	{"cors", [4]string{"s3:GetBucketCORS", "s3:PutBucketCORS", "", ""}},
	{"lifecycle", [4]string{"s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration", "", ""}},
	{"location", [4]string{"s3:GetBucketLocation", "", "", ""}},
	{"delete", [4]string{"", "s3:DeleteObject", "", ""}},
}

// cephAction derives the S3 action of an RGW request; "" when it cannot.
func cephAction(in *cephInput) string {
	obj := in.ObjectName != ""
	params, _ := url.ParseQuery(strings.TrimPrefix(in.Params, "?"))
	read := in.Method == "GET" || in.Method == "HEAD"
	for _, sr := range cephSubresources {
		if _, ok := params[sr.param]; !ok {
			continue
		}
		acts := sr.actions
		i := 0
		if !read {
			i = 1
		}
		if obj {
			i += 2
		}
		if in.Method == "DELETE" {
			return ""
		}
		return acts[i]
	}
	if in.BucketInfo.Bucket.Name == "" {
		if read {
			return "s3:ListAllMyBuckets"
		}
		return ""
	}
	switch {
	case read && obj:
		if _, ok := params["versionId"]; ok {
			return "s3:GetObjectVersion"
		}
		return "s3:GetObject"
	case read:
		return "s3:ListBucket"
	case (in.Method == "PUT" || in.Method == "POST") && obj:
		return "s3:PutObject"
	case in.Method == "PUT":
		return "s3:CreateBucket"
	case in.Method == "DELETE" && obj:
		return "s3:DeleteObject"
	case in.Method == "DELETE":
		return "s3:DeleteBucket"
	}
	return ""
}

func cephCheck(in *cephInput) iam.Check {
	ck := iam.Check{Action: cephAction(in), Resource: "*"}
	if b := in.BucketInfo.Bucket.Name; b != "" {
		ck.Resource = "arn:aws:s3:::" + b
		if in.ObjectName != "" {
			ck.Resource += "/" + in.ObjectName
		}
	}
	return ck
}

func (h *Handler) ceph(c *call) (any, *apiError) {
	var in cephRequest
	if aerr := decodeJSON(c.body, &in); aerr != nil {
		return nil, aerr
	}
	ck := cephCheck(&in.Input)
	if ck.Action == "" {
		// An operation this adapter cannot name is refused, not guessed.
		return pluginResult{Result: false}, nil
	}
	user := in.Input.UserInfo.UserID
	if i := strings.IndexByte(user, '$'); i >= 0 {
		user = user[i+1:]
	}
	res, aerr := h.adapterDecide(c, user, nil, ck, "ceph")
	if aerr != nil {
		return nil, aerr
	}
	return pluginResult{Result: res.Decision == policy.Allow}, nil
}
