package policy_test

import (
	"fmt"

	"github.com/iamd/iamd/policy"
)

// A user's identity policy allows reading their own home prefix; a bucket
// policy denies everyone outside the corporate network.
func Example() {
	identity, err := policy.ParseStrict(`{
	  "Version": "2012-10-17",
	  "Statement": [{
	    "Sid": "Home",
	    "Effect": "Allow",
	    "Action": "s3:GetObject",
	    "Resource": "arn:aws:s3:::corp/home/${aws:username}/*"
	  }]
	}`, policy.Identity)
	if err != nil {
		panic(err)
	}
	bucket, err := policy.ParseStrict(`{
	  "Version": "2012-10-17",
	  "Statement": [{
	    "Sid": "CorpOnly",
	    "Effect": "Deny",
	    "Principal": "*",
	    "Action": "s3:*",
	    "Resource": "arn:aws:s3:::corp/*",
	    "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
	  }]
	}`, policy.Resource)
	if err != nil {
		panic(err)
	}
	idc, _ := policy.Compile("arn:aws:iam::111122223333:policy/Home", "v1", identity)
	bc, _ := policy.Compile("corp-bucket-policy", "", bucket)
	set := &policy.Set{Identity: []*policy.Compiled{idc}, Resource: bc}

	ctx := policy.NewContext(1)
	req := &policy.Request{
		Principal: policy.Principal{Type: policy.PrincipalUser, ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333"},
		Action:    "s3:GetObject",
		Resource:  "arn:aws:s3:::corp/home/alice/notes.txt",
		Context:   ctx,
	}
	d := policy.Decision{Matched: make([]policy.StatementRef, 0, 8)}
	for _, ip := range []string{"10.1.2.3", "203.0.113.9"} {
		ctx.Set("aws:SourceIp", ip)
		policy.Evaluate(set, req, &d)
		fmt.Println(ip, d.Effect, d.Gate, d.Matched[0].Policy, d.Matched[0].Sid)
	}

	_, err = policy.ParseStrict(`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}`, policy.Identity)
	fmt.Println(err)
	// Output:
	// 10.1.2.3 Allow  arn:aws:iam::111122223333:policy/Home Home
	// 203.0.113.9 ExplicitDeny resource corp-bucket-policy CorpOnly
	// MalformedPolicyDocument: Policy document should not specify a principal.
}
