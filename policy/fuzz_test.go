package policy

import (
	"testing"
)

// FuzzParse checks that no input panics the parser, in either mode and for
// every policy type, and that accepted documents survive
// parse -> Marshal -> parse unchanged and compile and evaluate.
func FuzzParse(f *testing.F) {
	for _, c := range loadCorpus(f) {
		if c.Parse != nil {
			f.Add(c.Parse.Document, uint8(0))
			continue
		}
		for _, p := range c.Policies.Identity {
			f.Add(string(p.Document), uint8(Identity))
		}
		if p := c.Policies.Resource; p != nil {
			f.Add(string(p.Document), uint8(Resource))
		}
	}
	f.Add(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${a, 'b''c'}${*}x"}}`, uint8(Identity))
	f.Fuzz(func(t *testing.T, doc string, typ uint8) {
		pt := PolicyType(typ % 6)
		if _, err := ParseStrict(doc, pt); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("ParseStrict error %T, want *Error", err)
			}
		}
		p, err := Parse(doc, pt)
		if err != nil {
			return
		}
		checkRoundTrip(t, p)
		c, err := Compile("f", "v1", p)
		if err != nil {
			t.Fatal(err)
		}
		ctx := NewContext(2)
		ctx.Set("aws:SourceIp", "10.0.0.1")
		ctx.Set("s3:prefix", "a*b")
		var d Decision
		for _, pr := range genPrincipals {
			Evaluate(&Set{Identity: []*Compiled{c}, Resource: c}, &Request{Principal: pr, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx}, &d)
		}
	})
}
