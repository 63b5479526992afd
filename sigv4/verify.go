package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"hash/maphash"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultMaxSkew is AWS's tolerance between X-Amz-Date and the server clock.
const DefaultMaxSkew = 15 * time.Minute

// DefaultCacheSize is the number of derived signing keys a Verifier keeps
// when CacheSize is zero.
const DefaultCacheSize = 4096

// Verifier verifies SigV4 signatures. The zero value is ready to use; a
// Verifier is safe for concurrent use and must not be copied after first
// use.
type Verifier struct {
	// MaxSkew bounds how far X-Amz-Date may be from now, both ways. Zero
	// means DefaultMaxSkew.
	MaxSkew time.Duration

	// IgnoreExpires makes presigned requests follow the header rule
	// (valid while X-Amz-Date is within MaxSkew of now) whatever their
	// X-Amz-Expires, which is then only range-checked. That is how AWS STS
	// treats presigned GetCallerIdentity URLs, and EKS/Vault-style tokens
	// signed with X-Amz-Expires=60 rely on living 15 minutes
	// (kubernetes-sigs/aws-iam-authenticator#160, aws/aws-sdk-go#2167).
	// When false, a presigned request is valid from X-Amz-Date - MaxSkew
	// to X-Amz-Date + X-Amz-Expires, as S3 does.
	IgnoreExpires bool

	// CacheSize bounds the derived signing keys kept. Zero means
	// DefaultCacheSize; negative disables the cache.
	CacheSize int

	once  sync.Once
	seed  maphash.Seed
	mu    sync.RWMutex
	cache map[uint64]*signingKey
	plans map[string]*headerPlan // guarded by mu
}

// maxPlans bounds the remembered SignedHeaders lists. Clients use a
// handful.
const maxPlans = 256

// plan returns the memoized plan for a SignedHeaders list, or a new one
// and fresh = true. A fresh plan is remembered only once a request using
// it has verified, so unauthenticated requests cannot fill the memo; the
// same holds for derived keys.
func (v *Verifier) plan(signed string) (p *headerPlan, fresh bool) {
	v.mu.RLock()
	p = v.plans[signed]
	v.mu.RUnlock()
	if p != nil {
		return p, false
	}
	return newHeaderPlan(signed), true
}

func (v *Verifier) storePlan(signed string, p *headerPlan) {
	v.mu.Lock()
	if v.plans == nil {
		v.plans = make(map[string]*headerPlan)
	}
	if len(v.plans) >= maxPlans {
		for old := range v.plans {
			delete(v.plans, old)
			break
		}
	}
	v.plans[strings.Clone(signed)] = p
	v.mu.Unlock()
}

// The cache maps a keyed 64-bit hash of (access key ID, credential scope,
// secret) to the derived key. The secret enters only through that hash: a
// rotated secret hashes elsewhere and never meets the old key, the secret
// itself is not kept, and with a per-Verifier random seed the hash cannot
// be matched against guesses offline. An entry repeats the key ID and scope
// and is used only if they match, so a hash collision between two live
// keys costs a derivation, never a wrong key; a collision between an old
// and a new secret of the same key ID and day has probability 2^-64 and no
// one can steer it, since the seed is secret and the server picks secrets.
// The derived key is itself no more than one day's, one region's and one
// service's credential.
//
// signingKey holds the SHA-256 states after absorbing the HMAC inner and
// outer key blocks of a derived signing key: the final HMAC then starts
// from them instead of hashing the two 64-byte pads per request.
type signingKey struct {
	accessKeyID, scope string
	inner, outer       [128]byte
	nIn, nOut          int
}

// scratch is the per-call working memory, pooled so that a verification
// allocates nothing. Everything passed to the hash's methods lives here:
// values on the stack would escape through the interface call.
type scratch struct {
	d     hash.Hash
	st    stateCodec
	buf   []byte // canonical request, then string to sign
	qbuf  []byte
	tmp   []byte
	pairs []queryPair
	key   [64]byte // canonical header key being looked up
	block [64]byte // HMAC key block
	pad   [64]byte
	sum   [32]byte
	mac   [32]byte
	k     [32]byte
	phex  [64]byte
}

type stateCodec interface {
	AppendBinary([]byte) ([]byte, error)
	UnmarshalBinary([]byte) error
}

var scratchPool = sync.Pool{New: func() any {
	d := sha256.New()
	return &scratch{d: d, st: d.(stateCodec), buf: make([]byte, 0, 1024)}
}}

func getScratch() *scratch   { return scratchPool.Get().(*scratch) }
func putScratch(sc *scratch) { scratchPool.Put(sc) }

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return DefaultMaxSkew
}

// CheckTime checks the request's freshness against now: the skew window
// for header-signed requests, and the skew window's future bound plus
// X-Amz-Expires for presigned ones. Verify calls it first; a caller may
// also call it before looking up the secret, which is the order AWS
// checks in.
func (v *Verifier) CheckTime(q *Request, now time.Time) error {
	if err := v.checkTime(q, now); err != nil {
		return err
	}
	return nil
}

func (v *Verifier) checkTime(q *Request, now time.Time) *Error {
	skew := v.maxSkew()
	if q.Time.Sub(now) > skew {
		return errNotYetCurrent(q.Time, now, skew)
	}
	if q.Presigned && q.hasExpires && !v.IgnoreExpires {
		if now.Sub(q.Time) > q.Expires {
			return newErr(CodeRequestExpired, msgRequestExpired)
		}
		return nil
	}
	if now.Sub(q.Time) > skew {
		return errExpired(q.Time, now, skew)
	}
	return nil
}

// Verify checks q, parsed from r by Parse, against now and secret. body is
// the exact payload; it may be nil when X-Amz-Content-Sha256 carries the
// payload's hash or UNSIGNED-PAYLOAD (the hash is then trusted, and the
// caller must check the body against it if it reads one). When a hash is
// sent and body is not nil, the body must match it. The signature is
// compared in constant time. The error is nil or an *Error.
func (v *Verifier) Verify(q *Request, r *http.Request, body, secret []byte, now time.Time) error {
	if err := v.verify(q, r, body, secret, now); err != nil {
		return err
	}
	return nil
}

func (v *Verifier) verify(q *Request, r *http.Request, body, secret []byte, now time.Time) *Error {
	if q == nil {
		return MissingAuthenticationToken()
	}
	if err := v.checkTime(q, now); err != nil {
		return err
	}
	if len(q.Signature) != sha256.Size {
		return SignatureDoesNotMatch()
	}
	sc := getScratch()
	defer putScratch(sc)
	ph, err := payloadHash(q, body, sc)
	if err != nil {
		return err
	}
	plan, freshPlan := v.plan(q.SignedHeaders)
	sc.buf = appendCanonicalRequest(sc.buf[:0], q, r, ph, plan, sc)
	crh := sha256.Sum256(sc.buf)
	sc.buf = appendStringToSign(sc.buf[:0], q, &crh)
	var newKey *signingKey // derived now, cached once the signature verifies
	var keyID uint64
	if v.CacheSize < 0 {
		deriveKey(q, secret, sc)
		sc.hmac(sc.k[:], sc.buf, &sc.mac)
		clear(sc.k[:])
	} else {
		key, id, fresh := v.signingKey(q, secret, sc)
		sc.finalHMAC(key)
		if fresh {
			newKey, keyID = key, id
		}
	}
	if !hmac.Equal(sc.mac[:], q.Signature) {
		return SignatureDoesNotMatch()
	}
	if freshPlan {
		v.storePlan(q.SignedHeaders, plan)
	}
	if newKey != nil {
		v.storeKey(keyID, newKey)
	}
	return nil
}

// emptySHA256 is the hex SHA-256 of an empty payload.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// payloadHash returns the hex payload hash that enters the canonical
// request, in sc.phex.
func payloadHash(q *Request, body []byte, sc *scratch) ([]byte, *Error) {
	cs := q.ContentSHA256
	switch {
	case cs == unsignedPayload:
		return sc.phex[:copy(sc.phex[:], cs)], nil
	case cs == "":
		if q.Presigned && isS3(q.Service) {
			// S3 presigned URLs never cover the body.
			return sc.phex[:copy(sc.phex[:], unsignedPayload)], nil
		}
		if len(body) == 0 {
			return sc.phex[:copy(sc.phex[:], emptySHA256)], nil
		}
		sc.sum = sha256.Sum256(body)
		hex.Encode(sc.phex[:], sc.sum[:])
		return sc.phex[:], nil
	case strings.HasPrefix(cs, "STREAMING-"):
		// Chunk signatures would have to be checked as the body streams;
		// accepting the seed signature alone would leave the body unsigned.
		return nil, newErr(CodeIncompleteSignature,
			"x-amz-content-sha256 '"+cs+"' is not supported: chunked payload signing is not implemented.")
	}
	if len(cs) != 64 || !decodeHex(sc.sum[:], cs) {
		return nil, newErr(CodeIncompleteSignature,
			"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.")
	}
	if body != nil && sha256.Sum256(body) != sc.sum {
		return nil, newErr(CodeXAmzContentSHA256Mismatch,
			"The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	return sc.phex[:copy(sc.phex[:], cs)], nil
}

// finalHMAC leaves HMAC(signing key, sc.buf) in sc.mac, starting from the
// key's saved inner and outer states.
func (sc *scratch) finalHMAC(e *signingKey) {
	_ = sc.st.UnmarshalBinary(e.inner[:e.nIn])
	sc.d.Write(sc.buf)
	sc.d.Sum(sc.sum[:0])
	_ = sc.st.UnmarshalBinary(e.outer[:e.nOut])
	sc.d.Write(sc.sum[:])
	sc.d.Sum(sc.mac[:0])
}

// signingKey returns the cached key for the request's key ID, scope and
// secret, or derives one (fresh = true) for the caller to store with
// storeKey once the signature has verified.
func (v *Verifier) signingKey(q *Request, secret []byte, sc *scratch) (e *signingKey, id uint64, fresh bool) {
	v.once.Do(func() { v.seed = maphash.MakeSeed() })
	var h maphash.Hash
	h.SetSeed(v.seed)
	h.WriteString(q.AccessKeyID)
	h.WriteByte(0)
	h.WriteString(q.scope)
	h.WriteByte(0)
	h.Write(secret)
	id = h.Sum64()
	v.mu.RLock()
	e = v.cache[id]
	v.mu.RUnlock()
	if e != nil && e.accessKeyID == q.AccessKeyID && e.scope == q.scope {
		return e, id, false
	}
	deriveKey(q, secret, sc)
	// The strings are views into the request; clone them so the cache
	// does not pin request headers.
	e = &signingKey{accessKeyID: strings.Clone(q.AccessKeyID), scope: strings.Clone(q.scope)}
	e.nIn = sc.keyedState(sc.k[:], &ipad, e.inner[:0])
	e.nOut = sc.keyedState(sc.k[:], &opad, e.outer[:0])
	clear(sc.k[:])
	return e, id, true
}

func (v *Verifier) storeKey(id uint64, e *signingKey) {
	size := v.CacheSize
	if size == 0 {
		size = DefaultCacheSize
	}
	v.mu.Lock()
	if v.cache == nil {
		v.cache = make(map[uint64]*signingKey)
	}
	if _, ok := v.cache[id]; !ok && len(v.cache) >= size {
		// Drop an eighth, in map order (pseudo-random): keys are per day,
		// so anything dropped is soon dead or cheap to derive again.
		n := size/8 + 1
		for old := range v.cache {
			delete(v.cache, old)
			if n--; n == 0 {
				break
			}
		}
	}
	v.cache[id] = e
	v.mu.Unlock()
}

// deriveKey leaves kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date),
// region), service), "aws4_request") in sc.k.
func deriveKey(q *Request, secret []byte, sc *scratch) {
	sc.tmp = append(append(sc.tmp[:0], "AWS4"...), secret...)
	key := sc.tmp
	if len(key) > sha256.BlockSize {
		sc.k = sha256.Sum256(key)
		key = sc.k[:]
	}
	sc.hmacString(key, q.Date, &sc.k)
	sc.hmacString(sc.k[:], q.Region, &sc.k)
	sc.hmacString(sc.k[:], q.Service, &sc.k)
	sc.hmacString(sc.k[:], scopeTerminator, &sc.k)
	// Pooled memory should not keep the secret.
	clear(sc.tmp)
	clear(sc.block[:])
}

func (sc *scratch) hmacString(key []byte, msg string, out *[32]byte) {
	sc.qbuf = append(sc.qbuf[:0], msg...)
	sc.hmac(key, sc.qbuf, out)
}

// hmac computes HMAC-SHA256 with a key of at most one block. out may
// alias key.
func (sc *scratch) hmac(key, msg []byte, out *[32]byte) {
	sc.setPad(key, &ipad)
	sc.d.Reset()
	sc.d.Write(sc.pad[:])
	sc.d.Write(msg)
	sc.d.Sum(sc.sum[:0])
	sc.setPad(key, &opad)
	sc.d.Reset()
	sc.d.Write(sc.pad[:])
	sc.d.Write(sc.sum[:])
	sc.d.Sum(out[:0])
}

// setPad leaves the key block XORed with ipad or opad in sc.pad.
func (sc *scratch) setPad(key []byte, pad *[sha256.BlockSize]byte) {
	clear(sc.block[len(key):])
	copy(sc.block[:], key)
	subtle.XORBytes(sc.pad[:], sc.block[:], pad[:])
}

var ipad, opad = func() (i, o [sha256.BlockSize]byte) {
	for n := range i {
		i[n], o[n] = 0x36, 0x5c
	}
	return
}()

// keyedState appends the hash state after absorbing key^pad.
func (sc *scratch) keyedState(key []byte, pad *[sha256.BlockSize]byte, dst []byte) int {
	sc.setPad(key, pad)
	sc.d.Reset()
	sc.d.Write(sc.pad[:])
	out, err := sc.st.AppendBinary(dst)
	if err != nil || len(out) > cap(dst) {
		panic("sigv4: sha256 state does not fit")
	}
	return len(out)
}
