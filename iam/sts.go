package iam

import (
	"context"
	"strings"
	"time"

	"github.com/iamd/iamd/policy"
)

// Credentials are temporary security credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// AssumeRoleInput is AssumeRole's input, validated against the API model.
type AssumeRoleInput struct {
	RoleARN           string
	RoleSessionName   string
	DurationSeconds   int // 0: 3600
	Policy            string
	PolicyARNs        []string
	Tags              []Tag
	TransitiveTagKeys []string
	ExternalID        string
	SerialNumber      string
	TokenCode         string
	SourceIdentity    string
}

// AssumeRoleOutput is AssumeRole's result.
type AssumeRoleOutput struct {
	Credentials      Credentials
	AssumedRoleID    string
	AssumedRoleARN   string
	PackedPolicySize int // percent; -1 when no session policy or tag was passed
	SourceIdentity   string
}

// Packed-size budget of session policies and tags. AWS does not publish its
// compression; iamd counts the compact JSON of the inline policy, the ARNs
// and the tags against this budget and reports the share as AWS does, so a
// request that AWS accepts is never refused for size here.
const packedPolicyBudget = 4096

// AssumeRole issues temporary credentials for a role to a caller the
// role's trust policy (and, within the account where the trust policy
// names the account, the caller's own policies) allows.
func (s *Service) AssumeRole(ctx context.Context, p *Principal, in AssumeRoleInput) (*AssumeRoleOutput, error) {
	if p.IsRoot() {
		return nil, Errorf(CodeAccessDenied, "Roles may not be assumed by root accounts.")
	}
	role := s.roleByARN(in.RoleARN)
	denied := Errorf(CodeAccessDenied, "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", p.ARN, in.RoleARN)
	if role == nil {
		return nil, denied
	}
	chained := p.Session != nil && p.Session.Kind == SessionRole
	duration := in.DurationSeconds
	if duration == 0 {
		duration = 3600
	}
	maxDuration := role.MaxSessionDuration
	if maxDuration == 0 {
		maxDuration = 3600
	}
	if chained && duration > 3600 {
		return nil, Errorf(CodeValidationError, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if duration > maxDuration {
		return nil, Errorf(CodeValidationError, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if err := checkSessionTags(in.Tags, in.TransitiveTagKeys); err != nil {
		return nil, err
	}
	// A source identity, once set, lasts for the whole role chain and
	// "cannot be changed during the role session" (IAM User Guide, Monitor
	// and control actions taken with assumed roles).
	if p.Session != nil && p.Session.SourceIdentity != "" && in.SourceIdentity != "" && in.SourceIdentity != p.Session.SourceIdentity {
		return nil, Errorf(CodeValidationError, "The source identity is already set for this assume role session")
	}
	packed, err := s.checkSessionPolicies(in.Policy, in.PolicyARNs, in.Tags)
	if err != nil {
		return nil, err
	}
	if in.SerialNumber != "" || in.TokenCode != "" {
		if err := s.verifySessionMFA(ctx, p, in.SerialNumber, in.TokenCode); err != nil {
			return nil, err
		}
	}

	// Transitive tags of the calling session carry over and cannot be
	// overridden by the new call's tags.
	tags := append([]Tag(nil), in.Tags...)
	transitive := append([]string(nil), in.TransitiveTagKeys...)
	if chained {
		for _, k := range p.Session.TransitiveKeys {
			for _, t := range p.Session.Tags {
				if strings.EqualFold(t.Key, k) {
					for _, nt := range tags {
						if strings.EqualFold(nt.Key, k) {
							return nil, Errorf(codeInvalidParameterValue, "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.")
						}
					}
					tags = append(tags, t)
					transitive = append(transitive, t.Key)
				}
			}
		}
	}

	extra := map[string][]string{
		"sts:RoleSessionName": {in.RoleSessionName},
	}
	if in.ExternalID != "" {
		extra["sts:ExternalId"] = []string{in.ExternalID}
	}
	// In a role chain the source identity carries over, and the next role's
	// trust policy (and the caller's policies) must allow
	// sts:SetSourceIdentity for it as if it were passed again (IAM User
	// Guide, "Permissions required to set source identity").
	sourceIdentity := in.SourceIdentity
	if p.Session != nil && p.Session.SourceIdentity != "" {
		sourceIdentity = p.Session.SourceIdentity
	}
	if sourceIdentity != "" {
		extra["sts:SourceIdentity"] = []string{sourceIdentity}
	}
	if len(in.TransitiveTagKeys) > 0 {
		extra["sts:TransitiveTagKeys"] = in.TransitiveTagKeys
	}
	if len(in.Tags) > 0 {
		keys := make([]string, 0, len(in.Tags))
		for _, t := range in.Tags {
			extra["aws:RequestTag/"+t.Key] = []string{t.Value}
			keys = append(keys, t.Key)
		}
		extra["aws:TagKeys"] = keys
	}
	if in.SerialNumber != "" {
		// The code was verified above: the trust policy sees this call as
		// MFA-authenticated, as AWS's does.
		extra["aws:MultiFactorAuthPresent"] = []string{"true"}
		extra["aws:MultiFactorAuthAge"] = []string{"0"}
	}
	actions := []string{"sts:AssumeRole"}
	if len(in.Tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if sourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	for _, action := range actions {
		ok, err := s.trustAllows(p, role, action, extra)
		if err != nil {
			return nil, err
		}
		if !ok {
			if action == "sts:AssumeRole" {
				return nil, denied
			}
			return nil, Errorf(CodeAccessDenied, "User: %s is not authorized to perform: %s on resource: %s", p.ARN, action, in.RoleARN)
		}
	}

	now := s.now().UTC().Truncate(time.Second)
	sess := &Session{
		Kind: SessionRole, Account: role.AccountID, KeyID: newSessionKeyID(role.AccountID), Secret: NewSecretAccessKey(),
		Issued: now.Unix(), Expires: now.Add(time.Duration(duration) * time.Second).Unix(),
		RoleID: role.ID, RoleARN: role.ARN(), SessionName: in.RoleSessionName, Chained: chained,
		SourceIdentity: in.SourceIdentity, Policy: in.Policy, PolicyARNs: in.PolicyARNs,
		Tags: tags, TransitiveKeys: transitive,
	}
	if p.Session != nil {
		if sess.SourceIdentity == "" {
			sess.SourceIdentity = p.Session.SourceIdentity
		}
		sess.MFA, sess.MFAAuthTime = p.Session.MFA, p.Session.MFAAuthTime
	}
	if in.SerialNumber != "" {
		sess.MFA, sess.MFAAuthTime = true, now.Unix()
	}
	token, err := s.sealSession(sess)
	if err != nil {
		return nil, internal(err)
	}
	return &AssumeRoleOutput{
		Credentials:      Credentials{AccessKeyID: sess.KeyID, SecretAccessKey: sess.Secret, SessionToken: token, Expiration: sess.ExpiresAt()},
		AssumedRoleID:    role.ID + ":" + in.RoleSessionName,
		AssumedRoleARN:   "arn:" + Partition + ":sts::" + role.AccountID + ":assumed-role/" + role.Name + "/" + in.RoleSessionName,
		PackedPolicySize: packed,
		SourceIdentity:   sess.SourceIdentity,
	}, nil
}

// roleByARN finds a role of any account of the deployment by ARN; the
// path in the ARN must match.
func (s *Service) roleByARN(arn string) *Role {
	acct := arnAccount(arn)
	i := strings.Index(arn, ":role/")
	if acct == "" || i < 0 {
		return nil
	}
	name := arn[strings.LastIndexByte(arn, '/')+1:]
	r := s.state.role(acct, name)
	if r == nil || r.ARN() != arn {
		return nil
	}
	return r
}

// trustAllows evaluates an sts:AssumeRole-family action by p on role: the
// role's trust policy is the resource policy and must allow (even within
// the account); the caller's identity side must allow too when the trust
// policy names the account rather than the caller, or the role is in
// another account.
func (s *Service) trustAllows(p *Principal, role *Role, action string, extra map[string][]string) (bool, error) {
	trust, err := s.compile("trust:"+role.ID, role.ARN(), "", role.AssumeRolePolicy, policy.Trust)
	if err != nil {
		return false, err
	}
	ident, err := s.identitySet(p)
	if err != nil {
		return false, err
	}
	set := *ident
	set.Resource = trust
	set.ResourceAccount = role.AccountID
	set.ResourceRequired = true
	pctx := policy.NewContext(16)
	s.fillContext(pctx, p)
	for k, v := range extra {
		pctx.Set(k, v...)
	}
	req := policy.Request{Principal: s.policyPrincipal(p), Action: action, Resource: role.ARN(), Context: pctx}
	var d policy.Decision
	policy.Evaluate(&set, &req, &d)
	return d.Effect == policy.Allow, nil
}

// codeInvalidParameterValue is the common AWS error (HTTP 400) STS answers
// for session tags it refuses; STS has no InvalidInput code.
const codeInvalidParameterValue Code = "InvalidParameterValue"

// checkSessionTags applies the session tag rules that the model's shapes
// cannot express. Session tag keys are case-insensitive (AWS STS API
// reference, AssumeRole Tags: "you cannot have separate Department and
// department tag keys"), and a transitive key must name one of the tags
// passed. The wording is what STS answers.
func checkSessionTags(tags []Tag, transitive []string) error {
	for i, t := range tags {
		if strings.HasPrefix(t.Key, reservedTagPrefix) || strings.HasPrefix(t.Value, reservedTagPrefix) {
			// Session tags follow IAM's tag naming rules, the aws: prefix
			// included (IAM User Guide, Passing session tags in AWS STS).
			return Errorf(codeInvalidParameterValue, "You cannot create a tag key or value that begins with the text aws:. This tag prefix is reserved for AWS internal use.")
		}
		for _, u := range tags[:i] {
			if strings.EqualFold(t.Key, u.Key) {
				return Errorf(codeInvalidParameterValue, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
			}
		}
	}
	for _, k := range transitive {
		found := false
		for _, t := range tags {
			if strings.EqualFold(t.Key, k) {
				found = true
				break
			}
		}
		if !found {
			return Errorf(codeInvalidParameterValue, "The specified transitive tag key must be included in the requested tags.")
		}
	}
	return nil
}

// CodePackedPolicyTooLarge is STS's error (HTTP 400) for session policies
// and tags whose packed form exceeds the allotted space.
const CodePackedPolicyTooLarge Code = "PackedPolicyTooLarge"

// checkSessionPolicies validates session policies and returns the packed
// size percentage (-1 when nothing was passed).
func (s *Service) checkSessionPolicies(doc string, arns []string, tags []Tag) (int, error) {
	if doc == "" && len(arns) == 0 && len(tags) == 0 {
		return -1, nil
	}
	size := policy.Size(doc)
	if doc != "" {
		if _, err := policy.ParseStrict(doc, policy.Session); err != nil {
			return 0, &Error{Code: CodeMalformedPolicy, Message: policyErrorMessage(err)}
		}
	}
	for _, arn := range arns {
		if _, ok := s.managedDocument(arn); !ok {
			return 0, Errorf(CodeInvalidInput, "Policy %s does not exist or is not attachable.", arn)
		}
		size += len(arn)
	}
	tagSize := 0
	for _, t := range tags {
		tagSize += len(t.Key) + len(t.Value)
	}
	// AWS words an overflow caused by the session tags on their own
	// differently from one caused by the policies ("Packed size of session
	// tags consumes 112% of allotted space.", quoted from STS in
	// github.com/aws/containers-roadmap issue 2413 and
	// aws-actions/configure-aws-credentials issue 1803); a client reading
	// the message must be told which input to shrink.
	if tagPacked := tagSize * 100 / packedPolicyBudget; tagPacked > 100 {
		return 0, Errorf(CodePackedPolicyTooLarge, "Packed size of session tags consumes %d%% of allotted space.", tagPacked)
	}
	packed := (size + tagSize) * 100 / packedPolicyBudget
	if packed > 100 {
		return 0, Errorf(CodePackedPolicyTooLarge, "Packed policy consumes %d%% of allotted space, please use smaller policy.", packed)
	}
	return packed, nil
}

func policyErrorMessage(err error) string {
	if pe, ok := err.(*policy.Error); ok {
		return pe.Message
	}
	return err.Error()
}

// verifySessionMFA checks an MFA code presented to STS.
func (s *Service) verifySessionMFA(ctx context.Context, p *Principal, serial, code string) error {
	if serial == "" || code == "" {
		return Errorf(CodeValidationError, "Both SerialNumber and TokenCode must be provided for MFA authentication.")
	}
	if s.mfaVerifier == nil {
		return Errorf(CodeAccessDenied, "MultiFactorAuthentication failed with invalid MFA one time pass code. ")
	}
	return s.mfaVerifier(ctx, p, serial, code)
}

// GetSessionToken issues temporary credentials with the caller's own
// permissions, optionally marked as MFA-authenticated.
func (s *Service) GetSessionToken(ctx context.Context, p *Principal, duration int, serial, code string) (*Credentials, error) {
	if p.Session != nil {
		return nil, Errorf(CodeAccessDenied, "Cannot call GetSessionToken with session credentials")
	}
	if duration == 0 {
		duration = 43200
		if p.IsRoot() {
			duration = 3600
		}
	}
	if p.IsRoot() && duration > 3600 {
		duration = 3600 // AWS caps the root user's sessions at one hour rather than failing
	}
	mfa := false
	if serial != "" || code != "" {
		if err := s.verifySessionMFA(ctx, p, serial, code); err != nil {
			return nil, err
		}
		mfa = true
	}
	now := s.now().UTC().Truncate(time.Second)
	sess := &Session{
		Kind: SessionUser, Account: p.AccountID, KeyID: newSessionKeyID(p.AccountID), Secret: NewSecretAccessKey(),
		Issued: now.Unix(), Expires: now.Add(time.Duration(duration) * time.Second).Unix(),
		MFA: mfa,
	}
	if !p.IsRoot() {
		sess.SourceUserID = p.UserID
	}
	if mfa {
		sess.MFAAuthTime = now.Unix()
	}
	return s.issue(sess)
}

// GetFederationToken issues credentials for a federated user whose
// permissions are the intersection of the caller's and the session
// policies passed.
func (s *Service) GetFederationToken(ctx context.Context, p *Principal, name string, duration int, doc string, arns []string, tags []Tag) (*Credentials, string, string, int, error) {
	if p.Session != nil {
		return nil, "", "", 0, Errorf(CodeAccessDenied, "Cannot call GetFederationToken with session credentials")
	}
	fedARN := "arn:" + Partition + ":sts::" + p.AccountID + ":federated-user/" + name
	if err := s.authorize(p, "sts:GetFederationToken", fedARN); err != nil {
		return nil, "", "", 0, err
	}
	if duration == 0 {
		duration = 43200
	}
	if p.IsRoot() && duration > 3600 {
		duration = 3600
	}
	if err := checkSessionTags(tags, nil); err != nil {
		return nil, "", "", 0, err
	}
	packed, err := s.checkSessionPolicies(doc, arns, tags)
	if err != nil {
		return nil, "", "", 0, err
	}
	now := s.now().UTC().Truncate(time.Second)
	sess := &Session{
		Kind: SessionFederated, Account: p.AccountID, KeyID: newSessionKeyID(p.AccountID), Secret: NewSecretAccessKey(),
		Issued: now.Unix(), Expires: now.Add(time.Duration(duration) * time.Second).Unix(),
		FederatedName: name, Policy: doc, PolicyARNs: arns, Tags: tags,
	}
	if !p.IsRoot() {
		sess.SourceUserID = p.UserID
	}
	creds, err := s.issue(sess)
	if err != nil {
		return nil, "", "", 0, err
	}
	return creds, p.AccountID + ":" + name, fedARN, packed, nil
}

func (s *Service) issue(sess *Session) (*Credentials, error) {
	token, err := s.sealSession(sess)
	if err != nil {
		return nil, internal(err)
	}
	return &Credentials{AccessKeyID: sess.KeyID, SecretAccessKey: sess.Secret, SessionToken: token, Expiration: sess.ExpiresAt()}, nil
}

// GetAccessKeyInfo returns the account that owns an access key ID.
func (s *Service) GetAccessKeyInfo(ctx context.Context, p *Principal, keyID string) (string, error) {
	if acct, ok := sessionKeyAccount(keyID); ok {
		return acct, nil
	}
	if k := s.state.key(keyID); k != nil {
		return k.AccountID, nil
	}
	return "", Errorf(CodeInvalidInput, "The access key ID %s does not belong to this deployment.", keyID)
}

// SessionAllows applies AWS's rules on what temporary credentials may call,
// before authorization: GetSessionToken credentials reach IAM only with MFA
// and STS only for AssumeRole and GetCallerIdentity; federated users reach
// neither IAM nor STS beyond GetCallerIdentity; no session credentials may
// get more session credentials.
func SessionAllows(p *Principal, service, action string) error {
	sess := p.Session
	if sess == nil || action == "GetCallerIdentity" {
		return nil
	}
	invalid := func() error {
		msg := "The security token included in the request is invalid"
		if service == "sts" {
			msg += "."
		}
		return Errorf("InvalidClientTokenId", "%s", msg)
	}
	switch sess.Kind {
	case SessionUser:
		if service == "iam" && !sess.MFA {
			return invalid()
		}
		if service == "sts" && action != "AssumeRole" {
			return Errorf(CodeAccessDenied, "Cannot call %s with session credentials", action)
		}
	case SessionFederated:
		if service == "iam" {
			return invalid()
		}
		if service == "sts" {
			return Errorf(CodeAccessDenied, "Cannot call %s with session credentials", action)
		}
	case SessionRole:
		if service == "sts" && (action == "GetSessionToken" || action == "GetFederationToken") {
			return Errorf(CodeAccessDenied, "Cannot call %s with session credentials", action)
		}
	}
	return nil
}

// CodeInvalidAuthorizationMessage is STS's error for an EncodedMessage it
// cannot decode (HTTP 400 in the STS API model).
const CodeInvalidAuthorizationMessage Code = "InvalidAuthorizationMessageException"

// DecodeAuthorizationMessage decodes an encoded authorization failure
// message. iamd's denials are worded in clear text (AccessDenied with the
// deciding policy type) and never carry an encoded message, so no message
// is one iamd issued: every EncodedMessage is answered as AWS answers an
// invalid one, after the caller's sts:DecodeAuthorizationMessage
// permission (which has no resource type: "*") is checked.
func (s *Service) DecodeAuthorizationMessage(ctx context.Context, p *Principal, encoded string) (string, error) {
	if err := s.authorize(p, "sts:DecodeAuthorizationMessage", "*"); err != nil {
		return "", err
	}
	// The STS API Reference describes the error as returned when "the
	// message passed to DecodeAuthorizationMessage was invalid".
	return "", Errorf(CodeInvalidAuthorizationMessage, "The message passed to DecodeAuthorizationMessage was invalid.")
}
