package sigv4

import (
	"net/http"
	"time"
)

// Error is an authentication failure with the code, message and HTTP status
// an AWS Query-protocol service (IAM, STS) would return for it, so the HTTP
// layer can render it with one table and no string matching.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Error codes. The statuses are those of the AWS IAM/STS API references'
// "Common Errors" pages and of captured responses; see the comments on each
// and the Sources section of doc.go.
const (
	// 403. STS answers a request with no Authorization header and no
	// X-Amz-* query parameters with
	// <Code>MissingAuthenticationToken</Code><Message>Request is missing
	// Authentication Token</Message> and HTTP 403 (captured response quoted
	// in amzn/selling-partner-api-docs#3081). "Missing Authentication Token"
	// without "Request is" is API Gateway's wording, not the Query protocol's.
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"

	// 400. The IAM and STS common-error tables give 400; SES (also a Query
	// service) returned 400 for "Authorization header requires 'Signature'
	// parameter. ..." (brendanhay/amazonka#316).
	CodeIncompleteSignature = "IncompleteSignature"

	// 403. Unknown access key ID: "The security token included in the
	// request is invalid." Verify never returns it (it does not look keys
	// up); the caller returns InvalidClientTokenID() when its lookup fails.
	CodeInvalidClientTokenID = "InvalidClientTokenId"

	// 403. Wrong signature, and also clock skew ("Signature expired: ..."),
	// bad credential scope and unsigned host: IAM and STS report all of these
	// as SignatureDoesNotMatch (aws/aws-cli#6676 for GetCallerIdentity,
	// devsecops/bootcamp#101 for AssumeRole, AWS "Troubleshoot signed
	// requests" page for the scope and skew messages and the 403).
	CodeSignatureDoesNotMatch = "SignatureDoesNotMatch"

	// 400. A presigned request used after X-Amz-Date + X-Amz-Expires. The
	// common-error tables document RequestExpired (400) for exactly this
	// ("more than 15 minutes after the request expiration date (such as for
	// pre-signed URLs)"); the message is S3's "Request has expired".
	CodeRequestExpired = "RequestExpired"

	// 400. X-Amz-Content-Sha256 is malformed or differs from the body's hash.
	// Code and wording are S3's; IAM/STS clients do not send the header.
	CodeXAmzContentSHA256Mismatch = "XAmzContentSHA256Mismatch"
)

// Messages that AWS returns verbatim.
const (
	msgMissingAuthToken  = "Request is missing Authentication Token"
	msgInvalidToken      = "The security token included in the request is invalid."
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgHostNotSigned  = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgRequestExpired = "Request has expired"
)

func newErr(code, msg string) *Error {
	st := http.StatusForbidden
	switch code {
	case CodeIncompleteSignature, CodeRequestExpired, CodeXAmzContentSHA256Mismatch:
		st = http.StatusBadRequest
	}
	return &Error{Code: code, Message: msg, Status: st}
}

// MissingAuthenticationToken is the error for a request that carries no
// SigV4 authentication at all.
func MissingAuthenticationToken() *Error {
	return newErr(CodeMissingAuthenticationToken, msgMissingAuthToken)
}

// InvalidClientTokenID is the error AWS returns for an access key ID (or
// session token) it does not know. The caller returns it when its secret
// lookup fails, before calling Verify, as AWS checks the key first.
func InvalidClientTokenID() *Error {
	return newErr(CodeInvalidClientTokenID, msgInvalidToken)
}

// SignatureDoesNotMatch is the error for a signature that does not verify.
func SignatureDoesNotMatch() *Error {
	return newErr(CodeSignatureDoesNotMatch, msgSignatureMismatch)
}

// amzDateLayout is ISO 8601 basic format, as in X-Amz-Date.
const amzDateLayout = "20060102T150405Z"

func errExpired(t, now time.Time, skew time.Duration) *Error {
	return newErr(CodeSignatureDoesNotMatch, "Signature expired: "+t.UTC().Format(amzDateLayout)+
		" is now earlier than "+now.Add(-skew).UTC().Format(amzDateLayout)+
		" ("+now.UTC().Format(amzDateLayout)+" - "+minutes(skew)+" min.)")
}

func errNotYetCurrent(t, now time.Time, skew time.Duration) *Error {
	return newErr(CodeSignatureDoesNotMatch, "Signature not yet current: "+t.UTC().Format(amzDateLayout)+
		" is still later than "+now.Add(skew).UTC().Format(amzDateLayout)+
		" ("+now.UTC().Format(amzDateLayout)+" + "+minutes(skew)+" min.)")
}

func minutes(d time.Duration) string {
	return itoa(int64(d / time.Minute))
}

func itoa(n int64) string {
	var b [20]byte
	return string(appendInt(b[:0], n))
}

func appendInt(dst []byte, n int64) []byte {
	if n < 0 {
		dst = append(dst, '-')
		n = -n
	}
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}
