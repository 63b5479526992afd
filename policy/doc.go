// Package policy is iamd's AWS IAM policy engine: it parses and validates
// policy documents as IAM does, and decides requests with AWS's evaluation
// logic. Every authorization decision in iamd goes through it: request
// enforcement, STS trust policies, the policy simulator, the console and
// the authorization API.
//
// The package is pure: no I/O, no logging, no context.Context, no mutable
// globals, and no dependencies beyond the standard library. Callers (iam,
// sts, httpapi) load policies, build the request context once per request
// and record decisions in the audit log; this package only computes.
//
// # Parsing
//
// [Parse] reads a stored document of a given [PolicyType] (identity,
// resource, trust, boundary, session, SCP) and enforces the grammar;
// [ParseStrict] additionally applies the rules IAM checks when a document
// is created or changed (character set, per-type size quota as [Size]
// counts it, SID characters, action vendor prefixes, ARN format, principal
// formats). Errors are [*Error] values carrying AWS's own
// MalformedPolicyDocument (or LimitExceeded, ValidationError) message,
// verbatim. A [Policy] keeps the original text, which AWS returns as is,
// and [Policy.Marshal] produces a canonical JSON form.
//
// Messages follow AWS's precedence: JSON and element-shape problems
// ("Syntax errors in policy."), then legacy parsing (Effect case, dates,
// ARN colons: "The policy failed legacy parsing"), then per-type rules
// ("Policy document should not specify a principal.", "Has prohibited
// field Resource", "Missing required field Principal"), SID uniqueness,
// "Policy statement must contain actions." / "... resources.", then the
// strict formats. Where IAM's identity-policy parser and the
// principal-bearing validators word a problem differently, each type gets
// its validator's wording: an unknown element is a syntax error in an
// identity policy and "Unknown field X" in a trust or resource policy.
// That split, "Has prohibited field NotResource" and the syntax error for
// an unknown Version value are inferred from the reported messages rather
// than observed; the other messages are AWS's as reported.
//
// # Evaluation
//
// [Compile] turns a Policy into a [Compiled] form once; [Evaluate] then
// decides any number of [Request]s against a [Set] of compiled policies
// (identity, resource or trust, boundary, session, SCP levels) and returns
// a [Decision]: Allow, ExplicitDeny or ImplicitDeny, the deciding [Gate]
// and every matching statement ([StatementRef]). The logic is AWS's:
// an explicit Deny anywhere wins; SCPs must allow; within an account the
// identity and resource policies are a union, a resource policy naming a
// user or session (not its role) allows on its own, one naming the account
// delegates to identity policies; across accounts both sides must allow;
// boundaries and session policies intersect; the root user of the
// resource's account is not limited by identity policies. A trust policy
// is evaluated as the resource policy of the role with
// [Set.ResourceRequired] set, which is why a trust policy naming the
// account root requires the caller's identity policy to allow
// sts:AssumeRole while one naming the user does not (the user's
// permissions boundary and session policies must still allow it, as AWS
// documents for trust policies). Further documented special cases: a
// GetFederationToken session without session policies gets nothing from
// identity policies; a Deny with NotPrincipal always applies to a
// principal that has a permissions boundary.
//
// Matching: actions case-insensitively with * and ?; resources per ARN
// component, case-sensitively, * in the resource component spanning '/'
// and ':'; condition keys case-insensitively, values case-sensitively
// except the IgnoreCase operators; every condition operator, ...IfExists,
// ForAllValues/ForAnyValue with AWS's missing-key rules; policy variables
// (${aws:username}, ${aws:PrincipalTag/k}, any single-valued key, ${*},
// ${?}, ${$}, defaults) in the resource component and in String/ARN
// condition values when Version is 2012-10-17. A variable without a value
// and without a default matches nothing.
//
// # Performance
//
// Compile pre-lowers and pre-splits patterns, parses IP blocks, dates and
// numbers, and builds an action index per policy (exact actions, service
// prefixes, and a bucket for NotAction and wildcard services), keeping for
// each statement only the action patterns that can match each key, and
// marks statements that match on their action alone (no conditions, no
// Principal, resource "*"). [Set.Prepare] merges the identity policies'
// indexes into one per set (iam prepares each principal's cached set), so
// a decision probes one table and walks only the statements whose action
// can match, whatever the number of policies; an unprepared set is
// evaluated policy by policy with the same result. The request's action
// is lower-cased and hashed once, eight bytes at a time, or not at all
// when the request carries an [ActionKey] prepared once per action. A
// caller governed by identity policies alone takes a short path through
// AWS's logic. No regular expressions are used. Evaluate does not
// allocate: the request [Context] is an open-addressing table of one
// cache line per key (hash, name and, when it fits, a copy of its single
// value) at a slot fixed by the key's hash, compiled conditions carry
// their key's hash (and whether it is a principal key), and matched
// statements are appended to the caller's Decision.Matched, whose
// backing array is reused across calls (give it capacity, e.g. 16).
// Compiled policies and prepared sets
// are immutable and safe for concurrent use. Figures and commands:
// docs/bench/policy.md.
//
// # Known limits
//
// Organizations resource control policies (RCPs), VPC endpoint policies,
// ACLs and service-specific rules (S3 object ownership, KMS grants) are
// not modelled. NotPrincipal is evaluated against the caller's account,
// role, session or user identities, all of which must be listed to exempt
// it. Size quotas are per document; aggregate inline quotas are the
// caller's, with [Size].
package policy
