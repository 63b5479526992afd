package iam

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SessionKind says which STS operation issued temporary credentials.
type SessionKind string

// Session kinds.
const (
	SessionRole      SessionKind = "role"      // AssumeRole
	SessionUser      SessionKind = "user"      // GetSessionToken
	SessionFederated SessionKind = "federated" // GetFederationToken
)

// Session describes temporary credentials. It travels inside the session
// token itself, sealed with the master keyring: issuing credentials writes
// nothing to the database, and every node that shares the master key
// accepts tokens issued by any other.
type Session struct {
	Kind    SessionKind `json:"k"`
	Account string      `json:"a"`
	KeyID   string      `json:"i"`
	Secret  string      `json:"s"`
	Issued  int64       `json:"t"` // Unix seconds
	Expires int64       `json:"e"`

	// Role sessions.
	RoleID      string `json:"ri,omitempty"`
	RoleARN     string `json:"ra,omitempty"`
	SessionName string `json:"sn,omitempty"`
	Chained     bool   `json:"ch,omitempty"` // assumed with role-session credentials

	// User sessions (GetSessionToken) and federated users
	// (GetFederationToken): the long-term user whose policies apply; empty
	// for the root user.
	SourceUserID  string `json:"u,omitempty"`
	FederatedName string `json:"fn,omitempty"`

	MFA            bool     `json:"m,omitempty"`
	MFAAuthTime    int64    `json:"mt,omitempty"`
	SourceIdentity string   `json:"si,omitempty"`
	Policy         string   `json:"p,omitempty"`  // inline session policy
	PolicyARNs     []string `json:"pa,omitempty"` // managed session policies
	Tags           []Tag    `json:"tg,omitempty"`
	TransitiveKeys []string `json:"tk,omitempty"`
}

// ExpiresAt is the session's expiry time.
func (s *Session) ExpiresAt() time.Time { return time.Unix(s.Expires, 0).UTC() }

// tokenAD binds sealed tokens to their purpose, so no other sealed value
// can be presented as a session token.
var tokenAD = []byte("iamd/session-token/v1")

// sealSession encodes a session as its session token.
func (s *Service) sealSession(sess *Session) (string, error) {
	payload, err := json.Marshal(sess)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(s.keyring.Seal(payload, tokenAD)), nil
}

// sessionCache remembers opened tokens so that a client reusing its
// credentials pays the decryption once. Entries hold no more than the token
// itself does.
type sessionCache struct {
	mu sync.Mutex
	m  map[[32]byte]*Credential
}

const sessionCacheMax = 50_000

// ErrExpiredToken and ErrInvalidToken are AuthenticateSession's outcomes for
// expired and unusable tokens.
var (
	ErrExpiredToken = Errorf("ExpiredToken", "The security token included in the request is expired")
	ErrInvalidToken = Errorf("InvalidClientTokenId", "The security token included in the request is invalid.")
)

// AuthenticateSession returns the credential for temporary credentials: the
// access key ID and session token a client signed with. Tokens that do not
// open, or whose key ID differs, are invalid; expired ones are refused with
// ErrExpiredToken. Nothing is read from the database.
func (s *Service) AuthenticateSession(keyID, token string) (*Credential, error) {
	h := sha256.Sum256([]byte(token))
	s.sessions.mu.Lock()
	cred := s.sessions.m[h]
	s.sessions.mu.Unlock()
	if cred == nil {
		raw, err := base64.StdEncoding.DecodeString(token)
		if err != nil {
			return nil, ErrInvalidToken
		}
		payload, err := s.keyring.Open(raw, tokenAD)
		if err != nil {
			return nil, ErrInvalidToken
		}
		var sess Session
		if err := json.Unmarshal(payload, &sess); err != nil {
			return nil, ErrInvalidToken
		}
		cred = s.sessionCredential(&sess)
		s.sessions.mu.Lock()
		if len(s.sessions.m) >= sessionCacheMax {
			clear(s.sessions.m)
		}
		s.sessions.m[h] = cred
		s.sessions.mu.Unlock()
	}
	sess := cred.Principal.Session
	if sess.KeyID != keyID {
		return nil, ErrInvalidToken
	}
	if !s.now().Before(sess.ExpiresAt()) {
		return nil, ErrExpiredToken
	}
	// A user session ends with its user: deleting the user (or the role,
	// for role sessions) revokes what it issued.
	switch {
	case sess.RoleID != "" && s.state.roleByID(sess.RoleID) == nil:
		return nil, ErrInvalidToken
	case sess.SourceUserID != "" && s.state.userByID(sess.SourceUserID) == nil:
		return nil, ErrInvalidToken
	}
	return cred, nil
}

func (s *Service) sessionCredential(sess *Session) *Credential {
	p := &Principal{AccountID: sess.Account, AccessKeyID: sess.KeyID, Session: sess}
	switch sess.Kind {
	case SessionRole:
		p.Type = PrincipalAssumedRole
		roleName := sess.RoleARN[strings.LastIndexByte(sess.RoleARN, '/')+1:]
		p.ARN = "arn:" + Partition + ":sts::" + sess.Account + ":assumed-role/" + roleName + "/" + sess.SessionName
		p.UserID = sess.RoleID + ":" + sess.SessionName
	case SessionFederated:
		p.Type = PrincipalFederatedUser
		p.ARN = "arn:" + Partition + ":sts::" + sess.Account + ":federated-user/" + sess.FederatedName
		p.UserID = sess.Account + ":" + sess.FederatedName
	default:
		if sess.SourceUserID == "" {
			p.Type = PrincipalRoot
			p.ARN = "arn:" + Partition + ":iam::" + sess.Account + ":root"
			p.UserID = sess.Account
		} else {
			p.Type = PrincipalUser
			p.UserID = sess.SourceUserID
			if u := s.state.userByID(sess.SourceUserID); u != nil {
				p.ARN, p.UserName = u.ARN(), u.Name
			}
		}
	}
	return &Credential{Principal: p, Secret: []byte(sess.Secret)}
}

// newSessionKeyID returns an ASIA access key ID that encodes the account, so
// that GetAccessKeyInfo can answer for temporary credentials without
// storing them: 8 base32 characters of the account number, 8 random ones.
func newSessionKeyID(account string) string {
	n, _ := strconv.ParseUint(account, 10, 64)
	out := []byte("ASIA")
	for i := 7; i >= 0; i-- {
		out = append(out, idAlphabet[(n>>(5*uint(i)))&31])
	}
	return string(out) + newID("", 8)
}

// sessionKeyAccount decodes the account of an ASIA key ID.
func sessionKeyAccount(keyID string) (string, bool) {
	if len(keyID) != 20 || !strings.HasPrefix(keyID, "ASIA") {
		return "", false
	}
	var n uint64
	for _, c := range keyID[4:12] {
		i := strings.IndexRune(idAlphabet, c)
		if i < 0 {
			return "", false
		}
		n = n<<5 | uint64(i)
	}
	acct := strconv.FormatUint(n, 10)
	if len(acct) > 12 {
		return "", false
	}
	return strings.Repeat("0", 12-len(acct)) + acct, true
}
