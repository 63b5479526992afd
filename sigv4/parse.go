package sigv4

import (
	"net/http"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm accepted.
const Algorithm = "AWS4-HMAC-SHA256"

// MaxExpires is the longest X-Amz-Expires a presigned request may carry.
const MaxExpires = 7 * 24 * time.Hour

const (
	unsignedPayload = "UNSIGNED-PAYLOAD"
	scopeTerminator = "aws4_request"
)

// Request holds the SigV4 parameters of one HTTP request, as sent. The
// strings are views into the request's header or query (header-signed
// requests cost a single allocation to parse).
type Request struct {
	AccessKeyID string
	Date        string // credential scope date, YYYYMMDD
	Region      string
	Service     string

	// SignedHeaders is the ';'-separated list exactly as sent: the
	// canonical request repeats it verbatim, so keeping the string avoids
	// rebuilding it. SignedHeaderNames splits it.
	SignedHeaders string

	// Signature is the decoded signature (32 bytes), or nil when the sent
	// value was not 64 hex digits. Such a request is not rejected by Parse,
	// because AWS reports an unknown access key before a bad signature.
	Signature []byte

	// Time is X-Amz-Date (or the Date header when X-Amz-Date is absent).
	Time time.Time

	// SecurityToken is X-Amz-Security-Token from the header or, when
	// presigned, the query. The caller validates it against AccessKeyID.
	SecurityToken string

	// ContentSHA256 is X-Amz-Content-Sha256 when sent (header, or query for
	// presigned requests).
	ContentSHA256 string

	Presigned bool
	// Expires is X-Amz-Expires; zero when absent or not presigned.
	Expires    time.Duration
	hasExpires bool

	amzDate string // timestamp as it enters the string to sign
	scope   string // date/region/service/aws4_request
	sig     [32]byte
}

// CredentialScope returns "date/region/service/aws4_request".
func (q *Request) CredentialScope() string { return q.scope }

// SignedHeaderNames returns the signed header names in the order sent.
func (q *Request) SignedHeaderNames() []string { return strings.Split(q.SignedHeaders, ";") }

// CheckScope reports whether the credential scope names the region and
// service of the endpoint that received the request, with AWS's messages.
// An empty region accepts any (STS accepts every region's scope on its
// global endpoint).
func (q *Request) CheckScope(region, service string) error {
	var msg string
	if region != "" && q.Region != region {
		msg = "Credential should be scoped to a valid region, not '" + q.Region + "'. "
	}
	if q.Service != service {
		msg += "Credential should be scoped to correct service: '" + service + "'. "
	}
	if msg == "" {
		return nil
	}
	return newErr(CodeSignatureDoesNotMatch, strings.TrimSuffix(msg, " "))
}

// Parse extracts the SigV4 parameters of r without verifying them, so the
// caller can look up the secret for req.AccessKeyID and choose the service
// from the credential scope. It never reads the body. It checks what does
// not need the secret or the clock: presence and syntax of the parameters,
// the algorithm, the credential scope's shape and date, and that host is
// signed.
func Parse(r *http.Request) (*Request, error) {
	q := new(Request)
	if err := q.parse(r); err != nil {
		return nil, err
	}
	return q, nil
}

// ParseInto is Parse into a Request the caller provides, for callers that
// allocate it with the rest of their per-request state. q is overwritten;
// on error its contents are unspecified.
func ParseInto(q *Request, r *http.Request) error {
	*q = Request{}
	if err := q.parse(r); err != nil {
		return err
	}
	return nil
}

func firstHeader(h http.Header, key string) (string, bool) {
	if v := h[key]; len(v) > 0 {
		return v[0], true
	}
	return "", false
}

func (q *Request) parse(r *http.Request) *Error {
	auth, hasAuth := firstHeader(r.Header, "Authorization")
	hasAuth = hasAuth && strings.TrimSpace(auth) != ""
	raw := ""
	if r.URL != nil {
		raw = r.URL.RawQuery
	}
	pq, presigned, perr := scanPresigned(raw)
	switch {
	case hasAuth && presigned:
		return newErr(CodeSignatureDoesNotMatch,
			"Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")
	case presigned:
		if perr != nil {
			return perr
		}
		return q.fromPresigned(r, &pq)
	case hasAuth:
		return q.fromHeader(r, auth)
	}
	return MissingAuthenticationToken()
}

// authParams are the parameters of an Authorization header.
type authParams struct {
	credential, signedHeaders, signature string
}

func (p *authParams) String() string {
	return Algorithm + " Credential=" + p.credential + ", SignedHeaders=" + p.signedHeaders + ", Signature=" + p.signature
}

// parseAuthorization parses an "AWS4-HMAC-SHA256 Credential=..., ..."
// header. It reports missing parameters (not an error on its own, because
// AWS lists them together with a missing date) as a comma-separated list.
func parseAuthorization(h string) (p authParams, missing string, err *Error) {
	i := 0
	for i < len(h) && (h[i] == ' ' || h[i] == '\t') {
		i++
	}
	rest := h[i:]
	alg, found := rest, false
	for i = 0; i < len(rest) && !found; i++ {
		if rest[i] == ' ' || rest[i] == '\t' {
			alg, rest, found = rest[:i], rest[i+1:], true
		}
	}
	if !found {
		rest = ""
	}
	if alg != Algorithm {
		if strings.HasPrefix(alg, "AWS4-") {
			return p, "", newErr(CodeIncompleteSignature,
				"Unsupported AWS 'algorithm': '"+alg+"' (only AWS4-HMAC-SHA256 for now). ")
		}
		// Not SigV4 at all (Basic, Bearer, SigV2 "AWS key:sig"): AWS
		// answers as if every parameter were missing.
		return p, "Credential,Signature,SignedHeaders", nil
	}
	var seen [3]bool
	// Parameters are separated by commas, blanks or both. Commas and
	// blanks are found with IndexByte (vectorized): in the SDKs' form each
	// comma-separated part is one parameter after a blank.
	var tok, part string
	for rest != "" || part != "" {
		if part == "" {
			if i := strings.IndexByte(rest, ','); i >= 0 {
				part, rest = rest[:i], rest[i+1:]
			} else {
				part, rest = rest, ""
			}
		}
		for part != "" && (part[0] == ' ' || part[0] == '\t') {
			part = part[1:]
		}
		if i := strings.IndexByte(part, ' '); i >= 0 {
			tok, part = part[:i], part[i+1:]
		} else {
			tok, part = part, ""
		}
		if i := strings.IndexByte(tok, '\t'); i >= 0 {
			tok, part = tok[:i], tok[i+1:]+" "+part
		}
		if tok == "" {
			continue
		}
		k, v, ok := strings.Cut(tok, "=")
		if !ok {
			return p, "", newErr(CodeIncompleteSignature,
				"'"+tok+"' not a valid key=value pair (missing equal-sign) in Authorization header: '"+h+"'.")
		}
		var dst *string
		var n int
		switch k {
		case "Credential":
			dst, n = &p.credential, 0
		case "SignedHeaders":
			dst, n = &p.signedHeaders, 1
		case "Signature":
			dst, n = &p.signature, 2
		default:
			// AWS ignores parameters it does not know.
			continue
		}
		if seen[n] {
			// AWS's wording for this case is not documented; a duplicate
			// would let a proxy and iamd read different credentials.
			return p, "", newErr(CodeIncompleteSignature,
				"Authorization header has a duplicate '"+k+"' parameter. Authorization="+h)
		}
		seen[n] = true
		*dst = v
	}
	var m []string
	if p.credential == "" {
		m = append(m, "Credential")
	}
	if p.signature == "" {
		m = append(m, "Signature")
	}
	if p.signedHeaders == "" {
		m = append(m, "SignedHeaders")
	}
	return p, strings.Join(m, ","), nil
}

func (q *Request) fromHeader(r *http.Request, h string) *Error {
	p, missing, err := parseAuthorization(h)
	if err != nil {
		return err
	}
	date, hasDate := firstHeader(r.Header, "X-Amz-Date")
	var httpDate string
	if !hasDate {
		httpDate, hasDate = firstHeader(r.Header, "Date")
	}
	if missing != "" || !hasDate {
		var b strings.Builder
		if missing != "" {
			for _, name := range strings.Split(missing, ",") {
				b.WriteString("Authorization header requires '" + name + "' parameter. ")
			}
		}
		if !hasDate {
			b.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
		}
		b.WriteString("Authorization=" + h)
		return newErr(CodeIncompleteSignature, b.String())
	}
	if err := q.setDate(date, httpDate); err != nil {
		return err
	}
	if err := q.setCredential(p.credential); err != nil {
		return err
	}
	if err := q.setSignedHeaders(p.signedHeaders); err != nil {
		return err
	}
	q.setSignature(p.signature)
	q.SecurityToken, _ = firstHeader(r.Header, "X-Amz-Security-Token")
	q.ContentSHA256, _ = firstHeader(r.Header, "X-Amz-Content-Sha256")
	return nil
}

func (q *Request) setDate(amz, httpDate string) *Error {
	if amz != "" || httpDate == "" {
		t, ok := parseAmzDate(amz)
		if !ok {
			return errBadDate(amz)
		}
		q.Time, q.amzDate = t, amz
		return nil
	}
	t, err := http.ParseTime(httpDate)
	if err != nil {
		return errBadDate(httpDate)
	}
	q.Time = t.UTC()
	q.amzDate = q.Time.Format(amzDateLayout)
	return nil
}

func errBadDate(s string) *Error {
	return newErr(CodeIncompleteSignature,
		"Date must be in ISO-8601 'basic format'. Got '"+s+"'. See http://en.wikipedia.org/wiki/ISO_8601")
}

// parseAmzDate parses YYYYMMDDTHHMMSSZ without time.Parse, which costs
// more than the rest of Parse together.
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != 16 || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	var f [6]int
	pos := [6][2]int{{0, 4}, {4, 6}, {6, 8}, {9, 11}, {11, 13}, {13, 15}}
	for i, p := range pos {
		n := 0
		for j := p[0]; j < p[1]; j++ {
			c := s[j]
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			n = n*10 + int(c-'0')
		}
		f[i] = n
	}
	y, m, d := f[0], f[1], f[2]
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) || f[3] > 23 || f[4] > 59 || f[5] > 59 {
		return time.Time{}, false
	}
	// Days since 1970-01-01 of a proleptic Gregorian date (the "days from
	// civil" algorithm), so the time is built with time.Unix, which is much
	// cheaper than time.Date.
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := int64(era)*146097 + int64(doe) - 719468
	return time.Unix(days*86400+int64(f[3]*3600+f[4]*60+f[5]), 0).UTC(), true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func (q *Request) setCredential(c string) *Error {
	// keyid/date/region/service/terminator; the key ID is everything
	// before the last four slashes only if it has none itself, which AWS
	// key IDs never do.
	var parts [5]string
	n, rest := 0, c
	for n < 4 {
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			break
		}
		parts[n], rest = rest[:i], rest[i+1:]
		n++
	}
	if n != 4 || strings.IndexByte(rest, '/') >= 0 {
		return newErr(CodeIncompleteSignature,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '"+c+"'")
	}
	parts[4] = rest
	if parts[4] != scopeTerminator {
		return newErr(CodeSignatureDoesNotMatch,
			"Credential should be scoped with a valid terminator: 'aws4_request', not '"+parts[4]+"'.")
	}
	if parts[1] != q.amzDate[:8] {
		return newErr(CodeSignatureDoesNotMatch,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"+
				parts[1]+"' != '"+q.amzDate[:8]+"', from '"+q.amzDate+"'.")
	}
	q.AccessKeyID, q.Date, q.Region, q.Service = parts[0], parts[1], parts[2], parts[3]
	q.scope = c[len(parts[0])+1:]
	return nil
}

func (q *Request) setSignedHeaders(s string) *Error {
	// Names are not checked byte by byte: one that is not a header name
	// matches no header and fails the signature. Only empty names and a
	// missing host are errors; names are found with IndexByte.
	host := false
	for rest := s; ; {
		i := strings.IndexByte(rest, ';')
		name := rest
		if i >= 0 {
			name = rest[:i]
		}
		if name == "" {
			return errSignedHeaders(s)
		}
		if len(name) == 4 && name[0]|0x20 == 'h' && name[1]|0x20 == 'o' && name[2]|0x20 == 's' && name[3]|0x20 == 't' {
			host = true
		}
		if i < 0 {
			break
		}
		rest = rest[i+1:]
	}
	if !host {
		return newErr(CodeSignatureDoesNotMatch, msgHostNotSigned)
	}
	q.SignedHeaders = s
	return nil
}

func errSignedHeaders(s string) *Error {
	return newErr(CodeIncompleteSignature, "Authorization header has an invalid 'SignedHeaders' parameter: '"+s+"'.")
}

func (q *Request) setSignature(s string) {
	if len(s) != 64 || !decodeHex(q.sig[:], s) {
		return
	}
	q.Signature = q.sig[:]
}

func unhex(c byte) (byte, bool) {
	v := hexValue[c]
	return v, v != 0xff
}

// decodeHex decodes len(dst) bytes from s, which is twice as long.
func decodeHex(dst []byte, s string) bool {
	s = s[:2*len(dst)]
	bad := byte(0)
	for i := range dst {
		hi, lo := hexValue[s[2*i]], hexValue[s[2*i+1]]
		bad |= hi | lo
		dst[i] = hi<<4 | lo&0xf
	}
	return bad&0xf0 == 0
}

var hexValue = func() (t [256]byte) {
	for c := range t {
		switch {
		case c >= '0' && c <= '9':
			t[c] = byte(c - '0')
		case c >= 'a' && c <= 'f':
			t[c] = byte(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			t[c] = byte(c - 'A' + 10)
		default:
			t[c] = 0xff
		}
	}
	return t
}()

// presignedParams are the X-Amz-* authentication parameters of a query,
// percent-decoded.
type presignedParams struct {
	algorithm, credential, date, expires, signedHeaders, signature, token, contentSHA string
	has                                                                               uint8
}

const (
	hasAlgorithm = 1 << iota
	hasCredential
	hasDate
	hasExpires
	hasSignedHeaders
	hasSignature
	hasToken
	hasContentSHA
)

// scanPresigned finds the X-Amz-* authentication parameters in a raw query.
// presigned is true when any of algorithm, credential or signature is
// present: a request carrying only some of them gets the list of missing
// ones rather than MissingAuthenticationToken.
func scanPresigned(raw string) (p presignedParams, presigned bool, err *Error) {
	if !strings.Contains(raw, "X-Amz-") {
		return p, false, nil
	}
	for rest := raw; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		k, v, _ := strings.Cut(pair, "=")
		if !strings.HasPrefix(k, "X-Amz-") {
			continue
		}
		var dst *string
		var bit uint8
		switch k {
		case "X-Amz-Algorithm":
			dst, bit = &p.algorithm, hasAlgorithm
		case "X-Amz-Credential":
			dst, bit = &p.credential, hasCredential
		case "X-Amz-Date":
			dst, bit = &p.date, hasDate
		case "X-Amz-Expires":
			dst, bit = &p.expires, hasExpires
		case "X-Amz-SignedHeaders":
			dst, bit = &p.signedHeaders, hasSignedHeaders
		case "X-Amz-Signature":
			dst, bit = &p.signature, hasSignature
		case "X-Amz-Security-Token":
			dst, bit = &p.token, hasToken
		case "X-Amz-Content-Sha256":
			dst, bit = &p.contentSHA, hasContentSHA
		default:
			continue
		}
		if p.has&bit != 0 && err == nil {
			err = newErr(CodeIncompleteSignature,
				"AWS query-string parameter '"+k+"' appears more than once. Re-examine the query-string parameters.")
		}
		p.has |= bit
		*dst = unescapeQuery(v)
	}
	presigned = p.has&(hasAlgorithm|hasCredential|hasSignature) != 0
	return p, presigned, err
}

func (q *Request) fromPresigned(r *http.Request, p *presignedParams) *Error {
	var b strings.Builder
	for _, m := range [...]struct {
		bit  uint8
		name string
		v    string
	}{
		{hasAlgorithm, "X-Amz-Algorithm", p.algorithm},
		{hasCredential, "X-Amz-Credential", p.credential},
		{hasSignature, "X-Amz-Signature", p.signature},
		{hasSignedHeaders, "X-Amz-SignedHeaders", p.signedHeaders},
		{hasDate, "X-Amz-Date", p.date},
	} {
		if p.has&m.bit == 0 || m.v == "" {
			b.WriteString("AWS query-string parameters must include '" + m.name + "'. ")
		}
	}
	if b.Len() > 0 {
		b.WriteString("Re-examine the query-string parameters.")
		return newErr(CodeIncompleteSignature, b.String())
	}
	if p.algorithm != Algorithm {
		return newErr(CodeIncompleteSignature,
			"Unsupported AWS 'algorithm': '"+p.algorithm+"' (only AWS4-HMAC-SHA256 for now). ")
	}
	if err := q.setDate(p.date, ""); err != nil {
		return err
	}
	if p.has&hasExpires != 0 {
		d, err := parseExpires(p.expires)
		if err != nil {
			return err
		}
		q.Expires, q.hasExpires = d, true
	}
	if err := q.setCredential(p.credential); err != nil {
		return err
	}
	if err := q.setSignedHeaders(p.signedHeaders); err != nil {
		return err
	}
	q.setSignature(p.signature)
	q.Presigned = true
	q.SecurityToken = p.token
	q.ContentSHA256 = p.contentSHA
	if p.has&hasContentSHA == 0 {
		q.ContentSHA256, _ = firstHeader(r.Header, "X-Amz-Content-Sha256")
	}
	return nil
}

// parseExpires uses S3's messages, the only ones AWS documents for
// X-Amz-Expires.
func parseExpires(s string) (time.Duration, *Error) {
	if s == "" || len(s) > 10 {
		return 0, newErr(CodeIncompleteSignature, "X-Amz-Expires should be a number")
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	n := int64(0)
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, newErr(CodeIncompleteSignature, "X-Amz-Expires should be a number")
		}
		n = n*10 + int64(s[i]-'0')
	}
	if s == "" {
		return 0, newErr(CodeIncompleteSignature, "X-Amz-Expires should be a number")
	}
	if neg && n != 0 {
		return 0, newErr(CodeIncompleteSignature, "X-Amz-Expires must be non-negative")
	}
	d := time.Duration(n) * time.Second
	if d > MaxExpires {
		return 0, newErr(CodeIncompleteSignature,
			"X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds")
	}
	return d, nil
}
