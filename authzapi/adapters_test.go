package authzapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// minioDocExample is the request body MinIO documents for its access
// management plugin (docs/iam/access-management-plugin.md), with the
// account renamed to users of the fixture.
const minioDocExample = `{
  "input": {
    "account": "ACCOUNT",
    "groups": null,
    "action": "s3:ListBucket",
    "bucket": "test",
    "conditions": {
      "Authorization": ["AWS4-HMAC-SHA256 Credential=minio/20220507/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=62012db6c47d697620cf6c68f0f45f6e34894589a53ab1faf6dc94338468c78a"],
      "CurrentTime": ["2022-05-07T18:31:41Z"],
      "Delimiter": ["/"],
      "EpochTime": ["1651948301"],
      "Prefix": [""],
      "Referer": [""],
      "SecureTransport": ["false"],
      "SourceIp": ["127.0.0.1"],
      "User-Agent": ["MinIO (linux; amd64) minio-go/v7.0.24 mc/DEVELOPMENT.2022-04-20T23-07-53Z"],
      "UserAgent": ["MinIO (linux; amd64) minio-go/v7.0.24 mc/DEVELOPMENT.2022-04-20T23-07-53Z"],
      "X-Amz-Content-Sha256": ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
      "X-Amz-Date": ["20220507T183141Z"],
      "authType": ["REST-HEADER"],
      "principaltype": ["Account"],
      "signatureversion": ["AWS4-HMAC-SHA256"],
      "userid": ["minio"],
      "username": ["minio"],
      "versionid": [""]
    },
    "owner": OWNER,
    "object": "",
    "claims": {},
    "denyOnly": DENYONLY
  }
}`

func minioBody(account, owner, denyOnly string) string {
	return strings.NewReplacer("ACCOUNT", account, "OWNER", owner, "DENYONLY", denyOnly).Replace(minioDocExample)
}

func TestMinIOPlugin(t *testing.T) {
	f := newFixture(t)
	f.user(t, acct, "lister", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::test",
		"Condition":{"StringEquals":{"s3:delimiter":"/"},"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}]}`, "")
	f.user(t, acct, "denied", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, "")
	tok := f.token(acct + "/service")
	for _, tc := range []struct {
		name, body string
		result     bool
	}{
		{"documented example, allowed user", minioBody("lister", "false", "false"), true},
		{"user without a policy", minioBody("alice", "false", "false"), false},
		{"unknown user", minioBody("minio", "false", "false"), false},
		{"owner is the account root", minioBody("minio", "true", "false"), true},
		{"denyOnly without a deny", minioBody("alice", "false", "true"), true},
		{"denyOnly with a deny", minioBody("denied", "false", "true"), false},
		{"ARN as account", minioBody(aliceARN, "false", "false"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := f.post(t, "/iamd/authz/v1/minio", tok, tc.body)
			if status != http.StatusOK || out["result"] != tc.result {
				t.Fatalf("status %d, answer %v; want result %v", status, out, tc.result)
			}
		})
	}
	if status, out := f.post(t, "/iamd/authz/v1/minio", f.token(acct+"/noperm"), minioBody("lister", "false", "false")); status != http.StatusForbidden {
		t.Fatalf("caller without iamd:Authorize: %d %v", status, out)
	}
	if status, _ := f.post(t, "/iamd/authz/v1/minio", "AKIAIOSFODNN7EXAMPLE:nope", minioBody("lister", "false", "false")); status != http.StatusForbidden {
		t.Fatalf("wrong token: %d", status)
	}
	if status, _ := f.post(t, "/iamd/authz/v1/minio", "", minioBody("lister", "false", "false")); status != http.StatusForbidden {
		t.Fatalf("no token: %d", status)
	}
}

// cephDocExample is the request Ceph documents for RGW's OPA integration
// (doc/radosgw/opa.rst), extended with the fields rgw_opa.cc also sends.
const cephDocExample = `{
    "input": {
        "method": "METHOD",
        "relative_uri": "/Testbucket/OBJECT",
        "decoded_uri": "/Testbucket/OBJECT",
        "params": "PARAMS",
        "request_uri_aws4": "/Testbucket/OBJECT",
        "object_name": "OBJECT",
        "subuser": "",
        "user_info": {
            "user_id": "USER",
            "display_name": "John",
            "keys": [{"user": "USER", "access_key": "0555b35654ad1656d804", "secret_key": "h7GhxuBLTrlhVUyxSPUKUV8r/2EI4ngqJxD7iBdBYLhwluN30JaT3Q=="}]
        },
        "bucket_info": {
            "bucket": {
                "name": "Testbucket",
                "bucket_id": "testbucket"
            },
            "owner": "john"
        }
    }
}`

func cephBody(method, user, object, params string) string {
	return strings.NewReplacer("METHOD", method, "USER", user, "OBJECT", object, "PARAMS", params).Replace(cephDocExample)
}

func TestCephOPA(t *testing.T) {
	f := newFixture(t)
	f.user(t, acct, "john", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::Testbucket"},
		{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectAcl"],"Resource":"arn:aws:s3:::Testbucket/*"}]}`, "")
	for _, tc := range []struct {
		name, body string
		result     bool
	}{
		{"documented example: GET bucket", cephBody("GET", "john", "", ""), true},
		{"tenant-qualified user", cephBody("GET", "tenant1$john", "", ""), true},
		{"GET object", cephBody("GET", "john", "k.txt", ""), true},
		{"GET object acl", cephBody("GET", "john", "k.txt", "acl"), true},
		{"PUT object", cephBody("PUT", "john", "k.txt", ""), false},
		{"DELETE bucket", cephBody("DELETE", "john", "", ""), false},
		{"unknown user", cephBody("GET", "mallory", "", ""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, f.srv.Endpoint()+"/iamd/authz/v1/ceph/v1/data/ceph/authz", strings.NewReader(tc.body))
			req.Header.Set("X-Auth-Token", f.token(acct+"/service"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out struct{ Result *bool }
			if err := jsonDecode(resp, &out); err != nil || resp.StatusCode != http.StatusOK || out.Result == nil || *out.Result != tc.result {
				t.Fatalf("status %d, result %v, err %v; want %v", resp.StatusCode, out.Result, err, tc.result)
			}
		})
	}
}

// AuthZEN Authorization API 1.0: the specification's example shapes, with
// iamd's identifiers.
func TestAuthZEN(t *testing.T) {
	f := newFixture(t)
	tok := f.token(acct + "/service")
	for _, tc := range []struct {
		name, path, body, want string
	}{
		{"evaluation allowed", "/access/v1/evaluation", `{"subject":{"type":"user","id":"` + aliceARN + `"},
			"action":{"name":"s3:GetObject"},"resource":{"type":"object","id":"arn:aws:s3:::data/a"},"context":{"aws:SourceIp":"10.0.0.1"}}`,
			`{"decision":true}`},
		{"evaluation by user name", "/access/v1/evaluation", `{"subject":{"type":"user","id":"alice","properties":{"account_id":"` + acct + `"}},
			"action":{"name":"s3:GetObject"},"resource":{"type":"object","id":"arn:aws:s3:::data/a"}}`, `{"decision":true}`},
		{"evaluation denied", "/access/v1/evaluation", `{"subject":{"type":"user","id":"` + aliceARN + `"},
			"action":{"name":"s3:GetObject"},"resource":{"type":"object","id":"arn:aws:s3:::data/secret/a"}}`,
			`{"decision":false,"context":{"iamd":{"gate":"identity","reason":"explicitdeny"},"reason_admin":{"en":"Explicitly denied by an identity policy."}}}`},
		{"unknown subject", "/access/v1/evaluation", `{"subject":{"type":"user","id":"alice@acmecorp.com"},
			"action":{"name":"s3:GetObject"},"resource":{"type":"object","id":"arn:aws:s3:::data/a"}}`,
			`{"decision":false,"context":{"iamd":{"reason":"subject_unknown"},"reason_admin":{"en":"The subject is not a principal iamd knows."}}}`},
		{"resource policy as a property", "/access/v1/evaluation", `{"subject":{"type":"user","id":"arn:aws:iam::` + acct + `:user/noperm"},
			"action":{"name":"s3:GetObject"},"resource":{"type":"object","id":"arn:aws:s3:::pub/a","properties":{"resource_policy":
			{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}}}}`, `{"decision":true}`},
		{"evaluations execute_all", "/access/v1/evaluations", `{"subject":{"type":"user","id":"` + aliceARN + `"},"action":{"name":"s3:GetObject"},
			"evaluations":[{"resource":{"type":"object","id":"arn:aws:s3:::data/1"}},{"resource":{"type":"object","id":"arn:aws:s3:::data/secret/2"}},
			{"resource":{"type":"object","id":"arn:aws:s3:::data/3"}}]}`, `3:true,false,true`},
		{"evaluations deny_on_first_deny", "/access/v1/evaluations", `{"subject":{"type":"user","id":"` + aliceARN + `"},"action":{"name":"s3:GetObject"},
			"options":{"evaluations_semantic":"deny_on_first_deny"},
			"evaluations":[{"resource":{"type":"object","id":"arn:aws:s3:::data/1"}},{"resource":{"type":"object","id":"arn:aws:s3:::data/secret/2"}},
			{"resource":{"type":"object","id":"arn:aws:s3:::data/3"}}]}`, `2:true,false`},
		{"evaluations permit_on_first_permit", "/access/v1/evaluations", `{"subject":{"type":"user","id":"` + aliceARN + `"},"action":{"name":"s3:GetObject"},
			"options":{"evaluations_semantic":"permit_on_first_permit"},
			"evaluations":[{"resource":{"type":"object","id":"arn:aws:s3:::data/secret/1"}},{"resource":{"type":"object","id":"arn:aws:s3:::data/2"}},
			{"resource":{"type":"object","id":"arn:aws:s3:::data/secret/3"}}]}`, `2:false,true`},
		{"evaluations without evaluations", "/access/v1/evaluations", `{"subject":{"type":"user","id":"` + aliceARN + `"},
			"action":{"name":"s3:GetObject"},"resource":{"type":"object","id":"arn:aws:s3:::data/a"}}`, `{"decision":true}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := f.post(t, tc.path, tok, tc.body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %v", status, out)
			}
			got := canonical(out)
			if evs, ok := out["evaluations"].([]any); ok {
				var ds []string
				for _, e := range evs {
					ds = append(ds, canonical(e.(map[string]any)["decision"]))
				}
				got = itoa(len(evs)) + ":" + strings.Join(ds, ",")
			}
			want := tc.want
			var w any
			if json.Unmarshal([]byte(want), &w) == nil {
				want = canonical(w)
			}
			if got != want {
				t.Fatalf("answer = %s\nwant %s", got, want)
			}
		})
	}
	if status, _ := f.post(t, "/access/v1/evaluation", tok, `{"subject":{"type":"user","id":"x"}}`); status != http.StatusBadRequest {
		t.Fatalf("incomplete evaluation: status %d", status)
	}
}
