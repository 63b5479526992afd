package authzapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/iamd/iamd/authzapi"
)

// FuzzEndpoints: whatever a caller posts to any endpoint, the answer is
// JSON and never a 5xx.
func FuzzEndpoints(f *testing.F) {
	fx := newFixture(f)
	h := authzapi.NewHandler(authzapi.Config{Service: fx.svc})
	paths := []string{"/iamd/authz/v1/authorize", "/iamd/authz/v1/authorize-batch", "/iamd/authz/v1/minio",
		"/iamd/authz/v1/ceph", "/access/v1/evaluation", "/access/v1/evaluations"}
	for i, seed := range []string{
		`{"principalArn":"` + aliceARN + `","action":"s3:GetObject","resource":"arn:aws:s3:::data/a"}`,
		`{"principalArn":"` + aliceARN + `","checks":[{"action":"s3:GetObject","resource":"*","context":{"s3:prefix":["a"]}}]}`,
		minioBody("alice", "false", "false"),
		cephBody("GET", "john", "k", "acl"),
		`{"subject":{"type":"user","id":"` + aliceARN + `"},"action":{"name":"s3:GetObject"},"resource":{"type":"o","id":"*"},"context":{"a":[1,true,"x"]}}`,
		`{"subject":{"type":"user","id":"` + aliceARN + `"},"action":{"name":"s3:GetObject"},"options":{"evaluations_semantic":"deny_on_first_deny"},"evaluations":[{"resource":{"type":"o","id":"*"}}]}`,
		`{"signedRequest":{"method":"GET","path":"/","headers":{"Host":["h"],"Authorization":["AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"]}},"action":"s3:GetObject","resource":"*"}`,
	} {
		f.Add(uint8(i), seed)
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		path := paths[int(which)%len(paths)]
		r := handlerRequest(fx, path, []byte(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: status %d: %s", path, body, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s: answer is not JSON: %q", path, rec.Body)
		}
		_ = http.StatusOK
	})
}
