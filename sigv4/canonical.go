package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
)

const upperhex = "0123456789ABCDEF"

// unreserved marks RFC 3986 unreserved bytes, the only ones SigV4 leaves
// unencoded.
var unreserved = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~'
	}
	return t
}()

func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return dst
}

// appendUnescaped percent-decodes s. '+' stays '+': SDKs send a space as
// %20, and treating '+' as a space would make "a+b" and "a b" sign alike.
// A '%' not followed by two hex digits is kept literally.
func appendUnescaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				dst = append(dst, hi<<4|lo)
				i += 2
				continue
			}
		}
		dst = append(dst, c)
	}
	return dst
}

func unescapeQuery(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	return string(appendUnescaped(nil, s))
}

// isCanonicalComponent reports whether s is already in canonical form:
// unreserved bytes and uppercase escapes of reserved ones only. Decoding
// and re-encoding such a component is the identity, so it is copied as is.
func isCanonicalComponent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] {
			continue
		}
		if c != '%' || i+2 >= len(s) {
			return false
		}
		hi, lo := s[i+1], s[i+2]
		if !isUpperHex(hi) || !isUpperHex(lo) {
			return false
		}
		d, _ := unhex(hi)
		e, _ := unhex(lo)
		if unreserved[d<<4|e] {
			return false
		}
		i += 2
	}
	return true
}

func isUpperHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }

func appendCanonicalComponent(dst []byte, s string, tmp *[]byte) []byte {
	if isCanonicalComponent(s) {
		return append(dst, s...)
	}
	*tmp = appendUnescaped((*tmp)[:0], s)
	for _, c := range *tmp {
		if unreserved[c] {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return dst
}

// wirePath returns the request's path as it was on the wire. A server
// request's RequestURI is the raw request target; EscapedPath would
// re-encode what the client sent raw (UTF-8, spaces) and so sign a
// different path than the client did.
func wirePath(r *http.Request) string {
	if u := r.RequestURI; u != "" {
		if u[0] != '/' {
			// absolute-form "http://host/path?query"
			i := strings.Index(u, "://")
			if i < 0 {
				return escapedPath(r)
			}
			u = u[i+3:]
			j := strings.IndexByte(u, '/')
			if j < 0 {
				return "/"
			}
			u = u[j:]
		}
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		if u == "" {
			return "/"
		}
		return u
	}
	return escapedPath(r)
}

func escapedPath(r *http.Request) string {
	if r.URL == nil {
		return "/"
	}
	p := r.URL.EscapedPath()
	if p == "" {
		return "/"
	}
	return p
}

// isS3 reports whether service signs paths the S3 way: as sent, neither
// normalized nor encoded a second time.
func isS3(service string) bool {
	return strings.HasPrefix(service, "s3")
}

// appendCanonicalURI writes the canonical URI of the wire path p. For
// services other than S3 it removes "." and ".." segments and empty
// segments and encodes every byte that is not unreserved, so a sent %XX
// becomes %25XX ("double encoding"). For S3 it leaves the path alone
// except for bytes no client may send unencoded.
func appendCanonicalURI(dst []byte, p string, s3 bool) []byte {
	if s3 {
		for i := 0; i < len(p); i++ {
			c := p[i]
			if unreserved[c] || c == '/' || c == '%' {
				dst = append(dst, c)
			} else {
				dst = append(dst, '%', upperhex[c>>4], upperhex[c&15])
			}
		}
		return dst
	}
	if p == "/" {
		return append(dst, '/')
	}
	base := len(dst)
	dst = append(dst, '/')
	// starts of the segments written so far, for "..": a stack that lives
	// on the stack unless the path is unusually deep
	var stackBuf [32]int
	stack := stackBuf[:0]
	trailing := false
	for rest := p; ; {
		seg, more, found := strings.Cut(rest, "/")
		switch seg {
		case "", ".":
			trailing = true
		case "..":
			if n := len(stack); n > 0 {
				dst = dst[:stack[n-1]]
				stack = stack[:n-1]
			}
			trailing = true
		default:
			stack = append(stack, len(dst))
			dst = appendEscaped(dst, seg)
			dst = append(dst, '/')
			trailing = false
		}
		if !found {
			break
		}
		rest = more
	}
	if !trailing && len(dst) > base+1 {
		dst = dst[:len(dst)-1]
	}
	return dst
}

type queryPair struct {
	start, keyEnd, end int // offsets into the scratch buffer
}

// appendCanonicalQuery writes the canonical query of a raw query string:
// each name and value decoded and re-encoded, pairs sorted by encoded name
// and then value. skipSignature drops X-Amz-Signature (presigned requests).
func appendCanonicalQuery(dst []byte, raw string, skipSignature bool, sc *scratch) []byte {
	if raw == "" {
		return dst
	}
	buf := sc.qbuf[:0]
	pairs := sc.pairs[:0]
	for rest := raw; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if skipSignature && k == "X-Amz-Signature" {
			continue
		}
		start := len(buf)
		buf = appendCanonicalComponent(buf, k, &sc.tmp)
		keyEnd := len(buf)
		buf = appendCanonicalComponent(buf, v, &sc.tmp)
		pairs = append(pairs, queryPair{start, keyEnd, len(buf)})
	}
	less := func(a, b queryPair) int {
		if c := bytes.Compare(buf[a.start:a.keyEnd], buf[b.start:b.keyEnd]); c != 0 {
			return c
		}
		return bytes.Compare(buf[a.keyEnd:a.end], buf[b.keyEnd:b.end])
	}
	if len(pairs) <= 12 {
		for i := 1; i < len(pairs); i++ {
			for j := i; j > 0 && less(pairs[j-1], pairs[j]) > 0; j-- {
				pairs[j-1], pairs[j] = pairs[j], pairs[j-1]
			}
		}
	} else {
		slices.SortFunc(pairs, less)
	}
	for i, pr := range pairs {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, buf[pr.start:pr.keyEnd]...)
		dst = append(dst, '=')
		dst = append(dst, buf[pr.keyEnd:pr.end]...)
	}
	sc.qbuf, sc.pairs = buf, pairs
	return dst
}

// appendHeaderValue trims the value and collapses runs of spaces, as the
// canonical header rules require. Spaces are found with IndexByte, as most
// values have few or none.
func appendHeaderValue(dst []byte, v string) []byte {
	i, j := 0, len(v)
	for i < j && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	for j > i && (v[j-1] == ' ' || v[j-1] == '\t') {
		j--
	}
	v = v[i:j]
	for {
		k := strings.IndexByte(v, ' ')
		if k < 0 {
			return append(dst, v...)
		}
		dst = append(dst, v[:k+1]...)
		v = v[k+1:]
		for len(v) > 0 && v[0] == ' ' {
			v = v[1:]
		}
	}
}

// appendCanonicalHeaders writes "name:value\n" for each signed header.
// Go stores header fields under their canonical MIME key (net/http's
// server and http.Header's methods canonicalize every token name), so one
// pass over each name writes its lowercase form to dst and its canonical
// key to sc.key, and the values are found by a direct map lookup that does
// not allocate.
func appendCanonicalHeaders(dst []byte, q *Request, r *http.Request, sc *scratch) []byte {
	names := q.SignedHeaders
	for {
		name := names
		if i := strings.IndexByte(names, ';'); i >= 0 {
			name, names = names[:i], names[i+1:]
		} else {
			names = ""
		}
		n := len(dst)
		dst = append(dst, name...)
		fits := len(name) <= len(sc.key)
		upper := true
		for i := n; i < len(dst); i++ {
			c := dst[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
				dst[i] = c
			}
			if fits {
				if upper && c >= 'a' && c <= 'z' {
					sc.key[i-n] = c - ('a' - 'A')
				} else {
					sc.key[i-n] = c
				}
				upper = c == '-'
			}
		}
		lower := dst[n:]
		dst = append(dst, ':')
		var vals []string
		switch {
		case string(lower) == "host":
		case fits:
			vals = r.Header[string(sc.key[:len(name)])]
		default:
			vals = r.Header[http.CanonicalHeaderKey(name)]
		}
		dst = appendHeaderField(dst, string(lower) == "host", string(lower) == "content-length", vals, r)
		if names == "" {
			return dst
		}
	}
}

// appendHeaderField writes one header's canonical value and the newline.
func appendHeaderField(dst []byte, host, contentLength bool, vals []string, r *http.Request) []byte {
	switch {
	case host:
		h := r.Host
		if h == "" && r.URL != nil {
			h = r.URL.Host
		}
		dst = appendHeaderValue(dst, h)
	case vals == nil && contentLength && r.ContentLength > 0:
		// Go moves Content-Length out of Header for outgoing requests;
		// the SDK signs the field's value.
		dst = appendInt(dst, r.ContentLength)
	}
	for i, v := range vals {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendHeaderValue(dst, v)
	}
	return append(dst, '\n')
}

// headerPlan is a SignedHeaders list worked out once: lowercase names and
// canonical map keys. Clients send the same few lists over and over, and
// the per-byte work on the names is a quarter of canonicalization.
type headerPlan struct {
	fields []planField
}

type planField struct {
	lower, key          string
	host, contentLength bool
}

func newHeaderPlan(signed string) *headerPlan {
	p := &headerPlan{}
	for _, name := range strings.Split(signed, ";") {
		lower := strings.ToLower(name)
		p.fields = append(p.fields, planField{
			lower:         lower,
			key:           http.CanonicalHeaderKey(lower),
			host:          lower == "host",
			contentLength: lower == "content-length",
		})
	}
	return p
}

func (p *headerPlan) appendHeaders(dst []byte, r *http.Request) []byte {
	for i := range p.fields {
		f := &p.fields[i]
		dst = append(dst, f.lower...)
		dst = append(dst, ':')
		var vals []string
		if !f.host {
			vals = r.Header[f.key]
		}
		dst = appendHeaderField(dst, f.host, f.contentLength, vals, r)
	}
	return dst
}

func appendCanonicalRequest(dst []byte, q *Request, r *http.Request, payloadHash []byte, plan *headerPlan, sc *scratch) []byte {
	dst = append(dst, r.Method...)
	dst = append(dst, '\n')
	dst = appendCanonicalURI(dst, wirePath(r), isS3(q.Service))
	dst = append(dst, '\n')
	raw := ""
	if r.URL != nil {
		raw = r.URL.RawQuery
	}
	dst = appendCanonicalQuery(dst, raw, q.Presigned, sc)
	dst = append(dst, '\n')
	if plan != nil {
		dst = plan.appendHeaders(dst, r)
	} else {
		dst = appendCanonicalHeaders(dst, q, r, sc)
	}
	dst = append(dst, '\n')
	dst = append(dst, q.SignedHeaders...)
	dst = append(dst, '\n')
	dst = append(dst, payloadHash...)
	return dst
}

func appendStringToSign(dst []byte, q *Request, crHash *[32]byte) []byte {
	dst = append(dst, Algorithm...)
	dst = append(dst, '\n')
	dst = append(dst, q.amzDate...)
	dst = append(dst, '\n')
	dst = append(dst, q.scope...)
	dst = append(dst, '\n')
	return hex.AppendEncode(dst, crHash[:])
}

// AppendCanonicalRequest appends the canonical request of r as SigV4
// defines it, for the parameters in q and the given hex payload hash.
// Verify builds the same bytes internally; this is for diagnostics and
// tests.
func AppendCanonicalRequest(dst []byte, q *Request, r *http.Request, payloadHash string) []byte {
	sc := getScratch()
	defer putScratch(sc)
	return appendCanonicalRequest(dst, q, r, []byte(payloadHash), nil, sc)
}

// AppendStringToSign appends the string to sign for a canonical request.
func AppendStringToSign(dst []byte, q *Request, canonicalRequest []byte) []byte {
	h := sha256.Sum256(canonicalRequest)
	return appendStringToSign(dst, q, &h)
}
