package iam

import (
	"bytes"
	"context"
	"crypto/sha1" // AWS defines saml:namequalifier as a SHA-1 hash
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// SAML 2.0 federation (STS AssumeRoleWithSAML) with the SAML providers of
// the role's account.
//
// XML signatures are checked with goxmldsig, the maintained XML-DSig
// implementation for Go that SAML service providers build on: it
// canonicalizes, verifies only against the certificates it is given, and
// returns the signed element itself, so the claims iamd reads are the ones
// the signature covers (no signature wrapping).

const (
	samlAction         = "sts:AssumeRoleWithSAML"
	nsSAMLAssertion    = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsSAMLProtocol     = "urn:oasis:names:tc:SAML:2.0:protocol"
	samlStatusSuccess  = "urn:oasis:names:tc:SAML:2.0:status:Success"
	samlAttrPrefix     = "https://aws.amazon.com/SAML/Attributes/"
	samlNameIDPrefix   = "urn:oasis:names:tc:SAML:2.0:nameid-format:"
	samlClockSkew      = 5 * time.Minute
	invalidSAMLMessage = "Invalid SAML response"
)

// samlAudiences are the relying-party identifiers of AWS sign-in: an
// assertion for anything else is not for STS.
func samlAudienceOK(aud string) bool {
	if aud == "urn:amazon:webservices" || aud == "https://signin.aws.amazon.com/saml" {
		return true
	}
	// Regional sign-in endpoints: https://<region>.signin.aws.amazon.com/saml.
	rest, ok := strings.CutPrefix(aud, "https://")
	region, tail, _ := strings.Cut(rest, ".")
	return ok && region != "" && tail == "signin.aws.amazon.com/saml"
}

// AssumeRoleWithSAMLInput is the operation's input, validated against the
// API model.
type AssumeRoleWithSAMLInput struct {
	RoleARN         string
	PrincipalARN    string // the SAML provider
	SAMLAssertion   string // base64 of the IdP's Response
	DurationSeconds int    // 0: 3600
	Policy          string
	PolicyARNs      []string
}

// AssumeRoleWithSAMLOutput is the operation's result.
type AssumeRoleWithSAMLOutput struct {
	AssumeRoleOutput
	Subject       string
	SubjectType   string
	Issuer        string
	Audience      string // the Recipient of the subject confirmation
	NameQualifier string
}

// samlAssertionXML is what iamd reads of a signed assertion.
type samlAssertionXML struct {
	XMLName xml.Name
	Issuer  string `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	Subject struct {
		NameID struct {
			Format string `xml:"Format,attr"`
			Value  string `xml:",chardata"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:assertion NameID"`
		Confirmations []struct {
			Method string `xml:"Method,attr"`
			Data   struct {
				NotBefore    string `xml:"NotBefore,attr"`
				NotOnOrAfter string `xml:"NotOnOrAfter,attr"`
				Recipient    string `xml:"Recipient,attr"`
			} `xml:"urn:oasis:names:tc:SAML:2.0:assertion SubjectConfirmationData"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:assertion SubjectConfirmation"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Subject"`
	Conditions *struct {
		NotBefore    string `xml:"NotBefore,attr"`
		NotOnOrAfter string `xml:"NotOnOrAfter,attr"`
		Restrictions []struct {
			Audiences []string `xml:"urn:oasis:names:tc:SAML:2.0:assertion Audience"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:assertion AudienceRestriction"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Conditions"`
	AuthnStatements []struct {
		SessionNotOnOrAfter string `xml:"SessionNotOnOrAfter,attr"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion AuthnStatement"`
	AttributeStatements []struct {
		Attributes []struct {
			Name   string   `xml:"Name,attr"`
			Values []string `xml:"urn:oasis:names:tc:SAML:2.0:assertion AttributeValue"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Attribute"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion AttributeStatement"`
}

func (a *samlAssertionXML) attr(name string) []string {
	var out []string
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if at.Name == name {
				for _, v := range at.Values {
					out = append(out, strings.TrimSpace(v))
				}
			}
		}
	}
	return out
}

func invalidSAML() error { return Errorf(CodeInvalidIdentityToken, "%s", invalidSAMLMessage) }

// AssumeRoleWithSAML issues role credentials to the subject of a SAML
// assertion signed by a SAML provider of the role's account, when the
// assertion's Role attribute names the role with that provider and the
// role's trust policy allows the provider.
func (s *Service) AssumeRoleWithSAML(ctx context.Context, p *Principal, in AssumeRoleWithSAMLInput) (*AssumeRoleWithSAMLOutput, error) {
	account, provName, ok := providerARNPart(in.PrincipalARN, "saml-provider")
	if !ok || arnAccount(in.RoleARN) != account || !strings.Contains(in.RoleARN, ":role/") {
		return nil, Errorf(CodeValidationError, "Invalid principal or role ARN")
	}
	var prov *SAMLProvider
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		prov, err = tx.SAMLProvider(account, provName)
		return err
	})
	if isNotFound(err) || err == nil && prov == nil {
		return nil, Errorf(CodeInvalidIdentityToken, "Specified provider doesn't exist")
	} else if err != nil {
		return nil, internal(err)
	}
	now := s.now()
	if !prov.ValidUntil.IsZero() && now.After(prov.ValidUntil) {
		return nil, Errorf(CodeInvalidIdentityToken, "Specified provider has expired")
	}
	a, err := verifySAMLResponse(in.SAMLAssertion, prov, now)
	if err != nil {
		return nil, err
	}
	denied := Errorf(CodeAccessDenied, "Not authorized to perform %s", samlAction)
	// The Role attribute lists role,provider pairs (in either order); the
	// request must name one of them.
	paired := false
	for _, v := range a.attr(samlAttrPrefix + "Role") {
		x, y, _ := strings.Cut(v, ",")
		x, y = strings.TrimSpace(x), strings.TrimSpace(y)
		if x == in.RoleARN && y == in.PrincipalARN || y == in.RoleARN && x == in.PrincipalARN {
			paired = true
		}
	}
	if !paired {
		return nil, denied
	}
	names := a.attr(samlAttrPrefix + "RoleSessionName")
	if len(names) != 1 || !validSessionName(names[0]) {
		return nil, Errorf(CodeInvalidIdentityToken, "%s", "RoleSessionName in SAML assertion is missing or invalid")
	}
	sessionName := names[0]
	issuer := strings.TrimSpace(a.Issuer)
	subject := strings.TrimSpace(a.Subject.NameID.Value)
	subjectType := a.Subject.NameID.Format
	if t, ok := strings.CutPrefix(subjectType, samlNameIDPrefix); ok {
		subjectType = t
	}
	recipient := ""
	for _, c := range a.Subject.Confirmations {
		if c.Data.Recipient != "" {
			recipient = c.Data.Recipient
			break
		}
	}
	nq := sha1.Sum([]byte(issuer + account + "/" + provName))
	nameQualifier := base64.StdEncoding.EncodeToString(nq[:])
	if p != nil {
		p.Type, p.AccountID, p.ARN, p.UserName = PrincipalSAMLUser, account, prov.ARN(), subject
		p.UserID = nameQualifier + ":" + subject
	}

	var tags []Tag
	var keys []string
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if k, ok := strings.CutPrefix(at.Name, samlAttrPrefix+"PrincipalTag:"); ok && len(at.Values) > 0 {
				tags = append(tags, Tag{Key: k, Value: strings.TrimSpace(at.Values[0])})
				keys = append(keys, k)
			}
		}
	}
	transitive := a.attr(samlAttrPrefix + "TransitiveTagKeys")
	// AWS's session tag limits (IAM User Guide, Passing session tags in
	// AWS STS): 50 tags, keys of 128 and values of 256 characters.
	badTags := len(tags) > 50 || len(transitive) > 50
	for _, t := range tags {
		badTags = badTags || t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256
	}
	if badTags {
		return nil, Errorf(CodeIDPRejectedClaim, "The session tags in the SAML assertion are invalid.")
	}
	if err := checkSessionTags(tags, transitive); err != nil {
		return nil, Errorf(CodeIDPRejectedClaim, "%s", errorMessage(err))
	}
	sourceIdentity := ""
	if v := a.attr(samlAttrPrefix + "SourceIdentity"); len(v) > 0 {
		sourceIdentity = v[0]
	}

	role := s.roleByARN(in.RoleARN)
	if role == nil {
		return nil, denied
	}
	duration := in.DurationSeconds
	if duration == 0 {
		duration = 3600
	}
	maxDuration := role.MaxSessionDuration
	if maxDuration == 0 {
		maxDuration = 3600
	}
	if duration > maxDuration {
		return nil, Errorf(CodeValidationError, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	packed, err := s.checkSessionPolicies(in.Policy, in.PolicyARNs, tags)
	if err != nil {
		return nil, err
	}

	extra := map[string][]string{
		"sts:RoleSessionName":   {sessionName},
		"aws:FederatedProvider": {prov.ARN()},
		"saml:aud":              {recipient},
		"saml:iss":              {issuer},
		"saml:sub":              {subject},
		"saml:sub_type":         {subjectType},
		"saml:namequalifier":    {nameQualifier},
	}
	if sourceIdentity != "" {
		extra["sts:SourceIdentity"] = []string{sourceIdentity}
		extra["aws:SourceIdentity"] = []string{sourceIdentity}
	}
	for _, t := range tags {
		extra["aws:RequestTag/"+t.Key] = []string{t.Value}
	}
	if len(keys) > 0 {
		extra["aws:TagKeys"] = keys
	}
	if len(transitive) > 0 {
		extra["sts:TransitiveTagKeys"] = transitive
	}
	actions := []string{samlAction}
	if len(tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if sourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	for _, action := range actions {
		ok, err := s.federatedTrustAllows(p, role, prov.ARN(), action, extra)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, Errorf(CodeAccessDenied, "Not authorized to perform %s", action)
		}
	}

	issued := now.UTC().Truncate(time.Second)
	expires := issued.Add(time.Duration(duration) * time.Second)
	// The session ends no later than the IdP's SessionNotOnOrAfter (STS
	// API reference, DurationSeconds).
	for _, st := range a.AuthnStatements {
		if t, err := time.Parse(time.RFC3339Nano, st.SessionNotOnOrAfter); err == nil && t.Before(expires) {
			expires = t.UTC().Truncate(time.Second)
		}
	}
	if !expires.After(issued) {
		return nil, Errorf(CodeExpiredTokenException, "Token expired: current date/time %d must be before the expiration date/time%d", issued.Unix(), expires.Unix())
	}
	sess := &Session{
		Kind: SessionRole, Account: role.AccountID, KeyID: newSessionKeyID(role.AccountID), Secret: NewSecretAccessKey(),
		Issued: issued.Unix(), Expires: expires.Unix(),
		RoleID: role.ID, RoleARN: role.ARN(), SessionName: sessionName,
		SourceIdentity: sourceIdentity, Policy: in.Policy, PolicyARNs: in.PolicyARNs,
		Tags: tags, TransitiveKeys: transitive,
	}
	token, err := s.sealSession(sess)
	if err != nil {
		return nil, internal(err)
	}
	return &AssumeRoleWithSAMLOutput{
		AssumeRoleOutput: AssumeRoleOutput{
			Credentials:      Credentials{AccessKeyID: sess.KeyID, SecretAccessKey: sess.Secret, SessionToken: token, Expiration: sess.ExpiresAt()},
			AssumedRoleID:    role.ID + ":" + sessionName,
			AssumedRoleARN:   "arn:" + Partition + ":sts::" + role.AccountID + ":assumed-role/" + role.Name + "/" + sessionName,
			PackedPolicySize: packed,
			SourceIdentity:   sourceIdentity,
		},
		Subject: subject, SubjectType: subjectType, Issuer: issuer, Audience: recipient, NameQualifier: nameQualifier,
	}, nil
}

// validSessionName applies roleSessionNameType's rules, which the model
// checks for the request parameter but not inside the assertion.
func validSessionName(n string) bool {
	if len(n) < 2 || len(n) > 64 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_=,.@-", c)) {
			return false
		}
	}
	return true
}

// samlSigningCerts returns the signing certificates of a provider's
// metadata (checked when the provider was stored).
func samlSigningCerts(metadata string) []*x509.Certificate {
	var md samlMetadata
	if xml.Unmarshal([]byte(metadata), &md) != nil {
		return nil
	}
	var out []*x509.Certificate
	for _, idp := range md.IDPs {
		for _, k := range idp.Keys {
			if k.Use != "" && k.Use != "signing" {
				continue
			}
			for _, c := range k.Certs {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c), ""))
				if err != nil {
					continue
				}
				if cert, err := x509.ParseCertificate(der); err == nil {
					out = append(out, cert)
				}
			}
		}
	}
	return out
}

func samlEntityID(metadata string) string {
	var md samlMetadata
	if xml.Unmarshal([]byte(metadata), &md) != nil {
		return ""
	}
	return md.EntityID
}

// parseSAMLResponse decodes the base64 Response and parses it, refusing
// DTDs (no entity expansion) and charsets other than UTF-8. It is the
// fuzzed surface.
func parseSAMLResponse(b64 string) (*etree.Element, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(b64), ""))
	if err != nil || len(raw) == 0 {
		return nil, invalidSAML()
	}
	if bytes.Contains(raw, []byte("<!DOCTYPE")) || bytes.Contains(raw, []byte("<!ENTITY")) {
		return nil, invalidSAML()
	}
	doc := etree.NewDocument()
	doc.ReadSettings.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") {
			return input, nil
		}
		return nil, errors.New("charset")
	}
	if err := doc.ReadFromBytes(raw); err != nil {
		return nil, invalidSAML()
	}
	root := doc.Root()
	if root == nil || root.Tag != "Response" || root.NamespaceURI() != nsSAMLProtocol {
		return nil, invalidSAML()
	}
	return root, nil
}

// verifySAMLResponse checks a Response's signature (on the Response or on
// its one Assertion) against the provider's signing certificates, then the
// assertion's issuer, validity window, audience and subject confirmation,
// and returns the signed assertion.
func verifySAMLResponse(b64 string, prov *SAMLProvider, now time.Time) (*samlAssertionXML, error) {
	root, err := parseSAMLResponse(b64)
	if err != nil {
		return nil, err
	}
	certs := samlSigningCerts(prov.Metadata)
	if len(certs) == 0 {
		return nil, invalidSAML()
	}
	vctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: certs})
	vctx.Clock = dsig.NewFakeClockAt(now)

	assertions := func(el *etree.Element) []*etree.Element {
		var out []*etree.Element
		for _, c := range el.ChildElements() {
			if c.Tag == "Assertion" && c.NamespaceURI() == nsSAMLAssertion {
				out = append(out, c)
			}
		}
		return out
	}
	if len(assertions(root)) != 1 {
		// Encrypted assertions are not supported (CreateSAMLProvider
		// refuses their keys) and several assertions are ambiguous.
		return nil, invalidSAML()
	}
	var signed *etree.Element
	status := root
	if resp, err := vctx.Validate(root); err == nil {
		status = resp
		list := assertions(resp)
		if len(list) != 1 {
			return nil, invalidSAML()
		}
		signed, err = detached(list[0])
		if err != nil {
			return nil, invalidSAML()
		}
	} else if errors.Is(err, dsig.ErrMissingSignature) {
		el, err := detached(assertions(root)[0])
		if err != nil {
			return nil, invalidSAML()
		}
		if signed, err = vctx.Validate(el); err != nil {
			return nil, invalidSAML()
		}
	} else {
		return nil, invalidSAML()
	}
	if !samlSuccess(status) {
		return nil, invalidSAML()
	}
	out := etree.NewDocument()
	out.SetRoot(signed)
	text, err := out.WriteToBytes()
	if err != nil {
		return nil, invalidSAML()
	}
	var a samlAssertionXML
	if err := xml.Unmarshal(text, &a); err != nil || a.XMLName.Space != nsSAMLAssertion {
		return nil, invalidSAML()
	}
	if entity := samlEntityID(prov.Metadata); strings.TrimSpace(a.Issuer) != entity {
		return nil, invalidSAML()
	}
	if strings.TrimSpace(a.Subject.NameID.Value) == "" {
		return nil, invalidSAML()
	}
	expired := func(notOnOrAfter string) (bool, error) {
		if notOnOrAfter == "" {
			return false, nil
		}
		t, err := time.Parse(time.RFC3339Nano, notOnOrAfter)
		if err != nil {
			return false, invalidSAML()
		}
		if !now.Before(t.Add(samlClockSkew)) {
			return true, Errorf(CodeExpiredTokenException, "Token expired: current date/time %d must be before the expiration date/time%d", now.Unix(), t.Unix())
		}
		return false, nil
	}
	notYet := func(notBefore string) error {
		if notBefore == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, notBefore)
		if err != nil || now.Add(samlClockSkew).Before(t) {
			return invalidSAML()
		}
		return nil
	}
	if c := a.Conditions; c != nil {
		if _, err := expired(c.NotOnOrAfter); err != nil {
			return nil, err
		}
		if err := notYet(c.NotBefore); err != nil {
			return nil, err
		}
		for _, r := range c.Restrictions {
			// Each AudienceRestriction must name AWS (SAML core 2.5.1.4).
			found := false
			for _, aud := range r.Audiences {
				found = found || samlAudienceOK(strings.TrimSpace(aud))
			}
			if !found {
				return nil, invalidSAML()
			}
		}
	}
	bearer := false
	for _, c := range a.Subject.Confirmations {
		if c.Method != "urn:oasis:names:tc:SAML:2.0:cm:bearer" {
			continue
		}
		if _, err := expired(c.Data.NotOnOrAfter); err != nil {
			return nil, err
		}
		if err := notYet(c.Data.NotBefore); err != nil {
			return nil, err
		}
		if c.Data.Recipient != "" && !samlAudienceOK(c.Data.Recipient) {
			return nil, invalidSAML()
		}
		bearer = true
	}
	if !bearer {
		return nil, invalidSAML()
	}
	return &a, nil
}

// detached copies el with the namespace declarations it inherits, so its
// signature can be checked (and its content read) on its own.
func detached(el *etree.Element) (*etree.Element, error) {
	nsctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	return etreeutils.NSDetatch(nsctx, el)
}

func samlSuccess(resp *etree.Element) bool {
	for _, st := range resp.ChildElements() {
		if st.Tag != "Status" || st.NamespaceURI() != nsSAMLProtocol {
			continue
		}
		for _, code := range st.ChildElements() {
			if code.Tag == "StatusCode" && code.NamespaceURI() == nsSAMLProtocol {
				return code.SelectAttrValue("Value", "") == samlStatusSuccess
			}
		}
	}
	return false
}
