package policy

// Error is the error type of [Parse] and [ParseStrict]. Message is AWS's own
// text for the problem, verbatim, so the API layer can return it to clients
// unchanged; Code is the AWS error code that carries it.
type Error struct {
	// Code is "MalformedPolicyDocument" for grammar and validation problems,
	// "LimitExceeded" for size quotas and "ValidationError" for the
	// character-set constraint, as IAM reports them.
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// AWS error codes used in [Error.Code].
const (
	CodeMalformed       = "MalformedPolicyDocument"
	CodeLimitExceeded   = "LimitExceeded"
	CodeValidationError = "ValidationError"
)

// The messages IAM returns in MalformedPolicyDocument errors. They are
// copied from real AWS responses (quoted in AWS re:Post articles, the AWS
// CLI/SDK issue trackers and moto's AWS-parity validator), never reworded:
// clients and infrastructure tools match on them.
const (
	msgSyntax            = "Syntax errors in policy."
	msgLegacy            = "The policy failed legacy parsing"
	msgNoPrincipalWanted = "Policy document should not specify a principal."
	msgSidUnique         = "Statement IDs (SID) in a single policy must be unique."
	msgSidAlnum          = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	msgNoActions         = "Policy statement must contain actions."
	msgNoResources       = "Policy statement must contain resources."
	msgVendor            = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgOneColon          = "Actions/Condition can contain only one colon."
	msgTrustActions      = "AssumeRole policy may only specify STS AssumeRole actions."
	msgMissingPrincipal  = "Missing required field Principal"
	msgCharset           = "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
)

func malformed(msg string) *Error { return &Error{Code: CodeMalformed, Message: msg} }
