package httpapi

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// TestAuthDetailsInstanceProfileTags: the instance profiles listed inside
// RoleDetailList carry their Tags, as GetInstanceProfile's do (AWS's
// InstanceProfile shape has Tags; only ListInstanceProfiles is documented
// as leaving them out), and a profile without tags has no Tags element.
func TestAuthDetailsInstanceProfileTags(t *testing.T) {
	h := newBenchHandler(t)
	call := func(form url.Values) string {
		t.Helper()
		form.Set("Version", "2010-05-08")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, sign(t, "iam", form.Encode()).request())
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", form.Get("Action"), w.Code, w.Body)
		}
		return w.Body.String()
	}
	call(url.Values{"Action": {"CreateRole"}, "RoleName": {"app"},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}})
	call(url.Values{"Action": {"CreateInstanceProfile"}, "InstanceProfileName": {"tagged"},
		"Tags.member.1.Key": {"team"}, "Tags.member.1.Value": {"web"}})
	call(url.Values{"Action": {"AddRoleToInstanceProfile"}, "InstanceProfileName": {"tagged"}, "RoleName": {"app"}})
	call(url.Values{"Action": {"CreateRole"}, "RoleName": {"plain"},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}})
	call(url.Values{"Action": {"CreateInstanceProfile"}, "InstanceProfileName": {"untagged"}})
	call(url.Values{"Action": {"AddRoleToInstanceProfile"}, "InstanceProfileName": {"untagged"}, "RoleName": {"plain"}})

	type tag struct{ Key, Value string }
	type profile struct {
		InstanceProfileName string
		Tags                *struct {
			Member []tag `xml:"member"`
		}
	}
	var doc struct {
		Roles []struct {
			RoleName string
			Profiles []profile `xml:"InstanceProfileList>member"`
		} `xml:"GetAccountAuthorizationDetailsResult>RoleDetailList>member"`
	}
	body := call(url.Values{"Action": {"GetAccountAuthorizationDetails"}, "Filter.member.1": {"Role"}})
	if err := xml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	got := map[string]profile{}
	for _, r := range doc.Roles {
		for _, p := range r.Profiles {
			got[r.RoleName+"/"+p.InstanceProfileName] = p
		}
	}
	if p, ok := got["app/tagged"]; !ok || p.Tags == nil || len(p.Tags.Member) != 1 || p.Tags.Member[0] != (tag{"team", "web"}) {
		t.Errorf("app's profile tagged = %+v (found %v), want Tags team=web:\n%s", p, ok, body)
	}
	if p, ok := got["plain/untagged"]; !ok || p.Tags != nil {
		t.Errorf("plain's profile untagged = %+v (found %v), want no Tags element:\n%s", p, ok, body)
	}
}
