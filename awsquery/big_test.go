package awsquery

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Large or hostile forms must decode in roughly linear time.
func TestDecodeLargeForm(t *testing.T) {
	f := url.Values{"UserName": {"bob"}}
	for i := 1; i <= 5000; i++ {
		n := strconv.Itoa(i)
		f["Tags.member."+n+".Key"] = []string{"k" + n}
		f["Tags.member."+n+".Value"] = []string{"v*"}
	}
	start := time.Now()
	_, err := Decode(iamOp("CreateUser"), f)
	if err == nil {
		t.Fatal("want validation error")
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v", el)
	}
	msg := err.(*Error).Message
	if !strings.HasPrefix(msg, "5001 validation errors detected: Value '[{Key: k1, Value: v*}, ") {
		t.Errorf("message starts %.200s", msg)
	}
}
