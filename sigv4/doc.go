// Package sigv4 verifies AWS Signature Version 4 (AWS4-HMAC-SHA256)
// requests: header-signed ("Authorization: AWS4-HMAC-SHA256 Credential=...,
// SignedHeaders=..., Signature=...") and presigned (X-Amz-Algorithm,
// X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
// X-Amz-Signature, X-Amz-Security-Token in the query).
//
// It is pure: no logging, no storage, no clock. The caller looks up the
// secret and passes the time:
//
//	q, err := sigv4.Parse(r) // syntax, algorithm, scope shape and date, host signed
//	if err != nil { ... }    // *sigv4.Error
//	if err := q.CheckScope(region, service); err != nil { ... }
//	secret, ok := lookup(q.AccessKeyID) // and q.SecurityToken, if any
//	if !ok { return sigv4.InvalidClientTokenID() }
//	body, _ := io.ReadAll(r.Body)       // Parse never reads it
//	err = verifier.Verify(q, r, body, secret, time.Now())
//
// AWS checks freshness before the access key; a caller that wants that
// order calls Verifier.CheckTime before the lookup (Verify checks it again,
// cheaply).
//
// # Errors
//
// Every error is an *Error carrying the code, message and HTTP status an
// AWS Query-protocol service (IAM, STS) returns, so the HTTP layer renders
// it with one table:
//
//	Code                        Status  Returned for
//	MissingAuthenticationToken  403     no Authorization header and no X-Amz-* auth query
//	IncompleteSignature         400     missing or malformed parameters, bad X-Amz-Date,
//	                                    unsupported algorithm, bad X-Amz-Expires
//	InvalidClientTokenId        403     (caller) unknown access key ID
//	SignatureDoesNotMatch       403     wrong signature, expired or not yet current
//	                                    (15-minute skew), bad credential scope, host not signed,
//	                                    both header and query authentication
//	RequestExpired              400     presigned request past X-Amz-Date + X-Amz-Expires
//	XAmzContentSHA256Mismatch   400     body does not match X-Amz-Content-Sha256
//
// The messages are AWS's where AWS's are known, for example
//
//	Request is missing Authentication Token
//	The security token included in the request is invalid.
//	The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.
//	Signature expired: 20260315T120000Z is now earlier than 20260315T120001Z (20260315T121501Z - 15 min.)
//	Signature not yet current: 20260315T120000Z is still later than 20260315T115959Z (20260315T114459Z + 15 min.)
//	Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=...
//	Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260314' != '20260315', from '20260315T120000Z'.
//	'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.
//	Credential should be scoped to correct service: 'iam'.
//
// # Sources
//
// Codes, statuses and wording come from: the IAM and STS API references'
// "Common Error Types" (IncompleteSignature 400, InvalidClientTokenId 403,
// MissingAuthenticationToken 403, RequestExpired 400); AWS's "Troubleshoot
// signed requests for AWS APIs" (SignatureDoesNotMatch 403 and the scope,
// "Signature expired" and "Signature not yet current" messages); captured
// responses: STS's 403 "Request is missing Authentication Token"
// (amzn/selling-partner-api-docs#3081), STS's SignatureDoesNotMatch
// "Signature expired: ... (... - 15 min.)" for GetCallerIdentity and
// AssumeRole (aws/aws-cli#6676, devsecops/bootcamp#101), SES's 400
// IncompleteSignature "Authorization header requires 'Signature'
// parameter. ..." (brendanhay/amazonka#316), the full "requires ...
// Authorization=..." message (aws/chalice#828), and the Coral service
// framework's other messages as recorded by dynalite (unsupported
// algorithm, five credential elements, missing equal-sign, query
// parameters that must be included, header and query together). S3's
// documentation supplies the X-Amz-Expires messages and "Request has
// expired". Where AWS's wording could not be found (duplicate parameters,
// STREAMING-* payloads) the message is iamd's own.
//
// # Canonicalization
//
// The canonical URI is built from the path as sent (RequestURI for server
// requests, so raw UTF-8 or spaces are signed as the client saw them; the
// escaped URL path for client requests). For every service but S3 it is
// normalized (".", ".." and empty segments removed) and each byte that is
// not RFC 3986 unreserved is percent-encoded, so a %XX already in the path
// is encoded again, as the SDKs do. For S3 (a credential scope service
// starting with "s3") the path is used as sent. The canonical query is the
// raw query's names and values decoded and re-encoded (unreserved bytes
// literal, everything else %XX uppercase; '+' is a literal plus), sorted by
// name and then value; for presigned requests X-Amz-Signature is left out.
// The body of a form POST is never part of the query. Header values are
// trimmed, runs of spaces collapsed, repeated fields joined with commas,
// names lowercased, in the order SignedHeaders gives. The payload hash is
// X-Amz-Content-Sha256 when sent (UNSIGNED-PAYLOAD accepted; a hex hash is
// checked against the body when the body is passed), UNSIGNED-PAYLOAD for
// S3 presigned URLs, and the body's SHA-256 otherwise.
//
// # Freshness
//
// Header-signed requests are valid while X-Amz-Date (or, without it, the
// Date header) is within MaxSkew (15 minutes) of now, both ways. Presigned
// requests may not be from more than MaxSkew in the future and, with
// X-Amz-Expires (at most 604800 seconds), are valid until X-Amz-Date +
// X-Amz-Expires; without it, the header rule applies. IgnoreExpires gives
// STS's behaviour, where X-Amz-Expires does not extend or shorten the
// 15-minute window.
//
// # Performance
//
// Parse allocates the Request only; its strings are views into the
// request. Verify allocates nothing once warm: its buffers and SHA-256
// state come from a sync.Pool, the signature is hex-decoded once by Parse
// and compared in constant time, each distinct SignedHeaders list is
// worked out once into lowercase names and http.Header keys, and a derived
// signing key is cached (per access key ID, credential scope and a seeded
// hash of the secret) as the SHA-256 states after the HMAC key blocks, so
// the final HMAC hashes only the string to sign. Both memos are bounded and
// filled only by requests whose signature verified. See
// docs/bench/sigv4.md.
//
// Not supported: chunked (STREAMING-*) payload signing, SigV4a
// (AWS4-ECDSA-P256-SHA256), SigV2, and authentication parameters carried
// in a POST form body.
package sigv4
