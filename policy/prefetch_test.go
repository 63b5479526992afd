package policy

import (
	"math/bits"
	"testing"
	"unsafe"
)

// TestHintNamesLinesRead checks that the lines a prepared Set's hint
// names are the ones a decision reads first: the home slots of the
// Context keys its conditions and policy variables look up, and the first
// slot the merged index probes for an action in each table.
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

	var want uint32
	for _, k := range []string{"aws:sourceip", "aws:username", "s3:prefix", "aws:principaltag/team", "aws:sourcearn", "aws:resourceaccount"} {
		home, _ := ctxHome(hashFold(k))
		want |= 1 << home
	}
	if set.hint.ctx != want {
		t.Errorf("hint.ctx = %032b (%d lines), want %032b (%d lines)", set.hint.ctx, bits.OnesCount32(set.hint.ctx), want, bits.OnesCount32(want))
	}
	if plainSet := (&Set{Identity: []*Compiled{plain}}); true {
		plainSet.Prepare()
		if plainSet.hint.ctx != 0 {
			t.Errorf("a set without conditions names Context lines %032b", plainSet.hint.ctx)
		}
	}

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
