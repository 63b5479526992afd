package policy

import (
	"testing"
	"unsafe"
)

// TestHintNamesLinesRead checks that the lines a prepared Set's hint
// names are the ones a decision reads first: the first slot the merged
// index probes for an action in each table.
func TestHintNamesLinesRead(t *testing.T) {
	cond := mustCompile(t, "cond", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*",
		 "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
		{"Effect":"Deny","Action":"s3:*","Resource":"*",
		 "Condition":{"StringNotEquals":{"s3:prefix":"home/${aws:PrincipalTag/team}"}}},
		{"Effect":"Allow","Action":"iam:*","Resource":"*",
		 "Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:${aws:ResourceAccount}:*"}}}]}`, Identity)
	plain := mustCompile(t, "plain", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}}`, Identity)
	set := &Set{Identity: []*Compiled{cond, plain}}
	set.Prepare()

	ix := set.index
	for _, action := range []string{"s3:GetObject", "s3:PutObject", "iam:GetUser", "ec2:DescribeInstances", "sts:GetCallerIdentity"} {
		a := newActionRefLower(lowerASCII(action))
		exact, svc := set.hint.slots(&a)
		// The slot the probe reads first: the exact table's when the
		// filter passes, else the service table's.
		if b := a.hash >> 56; ix.exactBits[b>>6]&(1<<(b&63)) != 0 {
			if first := unsafe.Pointer(&ix.exact.slots[a.hash&ix.exact.mask]); exact != first || svc != nil {
				t.Errorf("%s: hint names slots %p and %p, the probe starts at exact slot %p", action, exact, svc, first)
			}
			continue
		}
		if first := unsafe.Pointer(&ix.bySvc.slots[a.svcHash&ix.bySvc.mask]); svc != first || exact != nil {
			t.Errorf("%s: hint names slots %p and %p, the probe starts at service slot %p", action, exact, svc, first)
		}
	}
}

// TestSetSize: a Set is allocated in a size class of whole cache lines, so
// that the fields a decision reads first share as few lines as possible.
func TestSetSize(t *testing.T) {
	// The runtime's size classes around it are 176, 192 and 208 bytes.
	if got := unsafe.Sizeof(Set{}); got <= 176 || got > 192 {
		t.Errorf("Set is %d bytes: want 177-192, the 192-byte size class", got)
	}
}
