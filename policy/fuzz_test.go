package policy

import (
	"bytes"
	"slices"
	"strings"
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

// FuzzContext runs a script of Sets, Resets and lookups against a Context
// and against a map: every key set is found with its last values, in any
// case, by Lookup and by the conditions' lookup, and no other key is,
// whether the keys stay in the inline table or move to the heap table,
// with short or long names and values.
func FuzzContext(f *testing.F) {
	f.Add([]byte("\x01aws:SourceIp\x0010.0.0.1\x00\x02\x01AWS:SOURCEIP\x00x\x00"))
	f.Add(bytes.Repeat([]byte("\x01k\x00v\x00"), 40))
	f.Add([]byte("\x03aws:TagKeys\x00a\x00b\x00\x00\x01\x00\x00"))
	f.Add([]byte("\x01r:1\x00a\x00\x01r:2\x00b\x00\x01r:3\x00c\x00\x01\x01\x00x\x00\x01\x02\x00y\x00\x01\x03\x00z\x00\x01r:1\x00d\x00"))
	f.Fuzz(func(t *testing.T, script []byte) {
		c := NewContext(2)
		model := map[string][]string{}
		field := func() string {
			i := bytes.IndexByte(script, 0)
			if i < 0 {
				i = len(script)
			}
			s := string(script[:i])
			script = script[min(i+1, len(script)):]
			return s
		}
		n := 0
		for len(script) > 0 {
			op := script[0]
			script = script[1:]
			switch op % 4 {
			case 0: // Reset
				c.Reset()
				clear(model)
			case 1, 3: // Set with one value, or (3) with a count
				key := field()
				if len(key) == 1 && key[0] < 32 {
					// One control byte names a known global key, so
					// that scripts mix keys with reserved home slots
					// and keys that may wrap into them.
					key = ctxKnown[int(key[0])%len(ctxKnown)]
				}
				cnt := 1
				if op%4 == 3 && len(script) > 0 {
					cnt = int(script[0] % 4)
					script = script[1:]
				}
				vals := make([]string, cnt)
				for i := range vals {
					vals[i] = strings.Repeat(field(), 1+int(op>>4))
				}
				c.Set(key, vals...)
				model[lowerASCII(key)] = vals
			case 2: // Set many keys at once, to move the index to the heap
				for i := 0; i < 30; i++ {
					k := "k:" + itoa(n)
					n++
					c.Set(k, k)
					model[k] = []string{k}
				}
			}
		}
		if c.Len() != len(model) {
			t.Fatalf("Len() = %d, want %d", c.Len(), len(model))
		}
		for k, want := range model {
			b := []byte(k)
			for i, x := range b {
				if 'a' <= x && x <= 'z' {
					b[i] = x - ('a' - 'A')
				}
			}
			upper := string(b)
			got, ok := c.Lookup(upper)
			if !ok || !slices.Equal(got, want) {
				t.Fatalf("Lookup(%q) = %q, %v; want %q", upper, got, ok, want)
			}
			if got, ok := c.get(k, hashFold(k)); !ok || !slices.Equal(got, want) {
				t.Fatalf("get(%q) = %q, %v; want %q", k, got, ok, want)
			}
			if _, ok := c.Lookup(k + "x"); ok != (model[k+"x"] != nil) {
				t.Fatalf("Lookup(%q) = %v", k+"x", ok)
			}
			if home, known := ctxHome(hashFold(k)); known && c.big == nil && c.entry(k, hashFold(k)) != &c.tab[home] {
				t.Fatalf("known key %q is not in its home slot %d", k, home)
			}
		}
	})
}
