package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"runtime"
	"testing"
)

// benchFixture is the IAM Query call of /work/shared/perf's SigV4 table:
// POST https://iam.amazonaws.com/, the 84-byte ListAttachedUserPolicies
// form body, six signed headers, signed by aws-sdk-go-v2.
func benchFixture(b *testing.B) (*http.Request, *Request, []byte, []byte) {
	r := signedIAMRequest(b)
	q, err := Parse(r)
	if err != nil {
		b.Fatal(err)
	}
	return r, q, []byte(iamBody), []byte(testSecret)
}

func TestBenchFixtureShape(t *testing.T) {
	r := signedIAMRequest(t)
	q, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	creq := AppendCanonicalRequest(nil, q, r, hexSHA256(iamBody))
	if len(iamBody) != 84 || len(creq) != 378 || len(q.SignedHeaderNames()) != 6 {
		t.Fatalf("body %d bytes, canonical request %d bytes, %d signed headers", len(iamBody), len(creq), len(q.SignedHeaderNames()))
	}
	t.Logf("Authorization: %s\ncanonical request (%d bytes):\n%s", r.Header.Get("Authorization"), len(creq), creq)
}

// loop runs f b.N times and also reports the benchmark thread's CPU time
// per op (cpu-ns/op), which stays meaningful on a loaded machine.
func loop(b *testing.B, f func()) {
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPU()
	for b.Loop() {
		f()
	}
	if d := threadCPU() - start; start != 0 && b.N > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkVerify(b *testing.B) {
	r, q, body, secret := benchFixture(b)
	verify := func(v *Verifier) func() {
		return func() {
			if err := v.Verify(q, r, body, secret, signTime); err != nil {
				b.Fatal(err)
			}
		}
	}
	parseVerify := func(v *Verifier) func() {
		return func() {
			q, err := Parse(r)
			if err == nil {
				err = v.Verify(q, r, body, secret, signTime)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("cached", func(b *testing.B) { loop(b, verify(new(Verifier))) })
	b.Run("uncached", func(b *testing.B) { loop(b, verify(&Verifier{CacheSize: -1})) })
	// What a handler pays per request: Parse, then Verify.
	b.Run("parse+cached", func(b *testing.B) { loop(b, parseVerify(new(Verifier))) })
	b.Run("parse+uncached", func(b *testing.B) { loop(b, parseVerify(&Verifier{CacheSize: -1})) })
}

func BenchmarkVerifyParallel(b *testing.B) {
	r, _, body, secret := benchFixture(b)
	v := new(Verifier)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			q, err := Parse(r)
			if err == nil {
				err = v.Verify(q, r, body, secret, signTime)
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	r := signedIAMRequest(b)
	loop(b, func() {
		if _, err := Parse(r); err != nil {
			b.Fatal(err)
		}
	})
}

var sinkSum [32]byte

// The pieces of a verification, and the crypto floor of a cached one
// measured the way /work/shared/perf measures it: payload hash, canonical
// request hash plus hex, and the final HMAC plus hex from a keyed state
// that is Reset.
func BenchmarkFloor(b *testing.B) {
	r, q, body, secret := benchFixture(b)
	creq := AppendCanonicalRequest(nil, q, r, hexSHA256(iamBody))
	sts := AppendStringToSign(nil, q, creq)
	b.Run("payload-sha256", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		loop(b, func() { sinkSum = sha256.Sum256(body) })
	})
	b.Run("canonical-request-sha256+hex", func(b *testing.B) {
		var out [64]byte
		b.SetBytes(int64(len(creq)))
		loop(b, func() {
			h := sha256.Sum256(creq)
			hex.Encode(out[:], h[:])
		})
	})
	b.Run("hmac-reused-state+hex", func(b *testing.B) {
		sc := getScratch()
		deriveKey(q, secret, sc)
		m := hmac.New(sha256.New, sc.k[:])
		var out [64]byte
		var sum [32]byte
		loop(b, func() {
			m.Reset()
			m.Write(sts)
			hex.Encode(out[:], m.Sum(sum[:0]))
		})
	})
	b.Run("derive-signing-key", func(b *testing.B) {
		sc := getScratch()
		loop(b, func() { deriveKey(q, secret, sc) })
	})
	b.Run("canonicalize", func(b *testing.B) {
		sc := getScratch()
		ph := []byte(hexSHA256(iamBody))
		plan := newHeaderPlan(q.SignedHeaders)
		loop(b, func() { sc.buf = appendCanonicalRequest(sc.buf[:0], q, r, ph, plan, sc) })
	})
	b.Run("cache-lookup", func(b *testing.B) {
		v := new(Verifier)
		sc := getScratch()
		_, id, _ := v.signingKey(q, secret, sc)
		e, _, _ := v.signingKey(q, secret, sc)
		v.storeKey(id, e)
		loop(b, func() { v.signingKey(q, secret, sc) })
	})
}
