package iam

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"time"
)

// RootSignInName is the user name the root user signs in with. AWS signs
// the root user in with the account's email address; iamd has no email
// addresses, so the root user gives the account ID (or alias) and "root".
// An IAM user named "root" therefore cannot sign in to the console.
const RootSignInName = "root"

// ConsoleSessionDuration is how long a console session lasts: AWS's
// console session for IAM users is 12 hours.
const ConsoleSessionDuration = 12 * time.Hour

// Lockout: AWS only rate-limits sign-in. iamd also delays a name and a
// source address after repeated failures, doubling the delay each time up
// to a ceiling, so online guessing costs hours, not seconds, while a user
// who mistypes a few times is not slowed at all.
const (
	UserFreeFailures    = 3
	AddressFreeFailures = 10
	MaxSignInDelay      = 15 * time.Minute
	// failureMemory forgets a counter whose last failure is this old.
	failureMemory = 24 * time.Hour
)

// SignInDelay is the lockout after the given number of consecutive
// failures, of which free cost nothing: 1 s after the first one beyond
// them, doubling up to MaxSignInDelay.
func SignInDelay(failures, free int) time.Duration {
	n := failures - free
	if n <= 0 {
		return 0
	}
	if n > 20 {
		return MaxSignInDelay
	}
	d := time.Second << (n - 1)
	return min(d, MaxSignInDelay)
}

// SignInReason says why a sign-in failed.
type SignInReason int

// Reasons. Only SignInFailed is counted toward the lockout: the others
// need a correct password, or are the lockout itself.
const (
	SignInFailed          SignInReason = iota + 1 // wrong name, password or MFA code
	SignInMFARequired                             // right password, MFA code missing
	SignInThrottled                               // locked out for RetryAfter
	SignInPasswordExpired                         // expired under HardExpiry
)

// SignInError is SignIn's failure. Its message is safe to show: it does
// not say whether the account, the user or the password was wrong.
type SignInError struct {
	Reason     SignInReason
	RetryAfter time.Duration
}

func (e *SignInError) Error() string {
	switch e.Reason {
	case SignInMFARequired:
		return "Enter the MFA code from your authenticator app."
	case SignInThrottled:
		return "Too many failed sign-in attempts. Try again in " + e.RetryAfter.Round(time.Second).String() + "."
	case SignInPasswordExpired:
		return "Your password has expired. Ask your administrator to reset it."
	}
	return "Your authentication information is incorrect. Please try again."
}

// SignInInput is one console sign-in attempt.
type SignInInput struct {
	Account   string // account ID or alias
	UserName  string // an IAM user's name, or RootSignInName
	Password  string
	MFACode   string
	SourceIP  string
	UserAgent string
}

// SignInResult describes an attempt, successful or not, for the audit
// event: who it was (as far as known) and whether MFA was used. On
// success Token is the new session's token, to be given to the browser
// and never stored or logged.
type SignInResult struct {
	AccountID          string // empty when the account is unknown
	Root               bool
	UserName           string
	UserID             string // empty when the user is unknown
	ARN                string
	MFAUsed            bool
	Token              string
	Session            *ConsoleSession
	MustChangePassword bool
}

// addrThrottle counts failures per source address in memory: an address
// is not an identity worth a database write, and one node's view is
// enough to slow a guesser hammering it.
type addrThrottle struct {
	mu sync.Mutex
	m  map[string]*SignInFailures
}

const addrThrottleMax = 100_000

// addrThrottles holds each Service's address counters; the Service type
// is defined elsewhere and has no field for them.
var addrThrottles sync.Map // *Service -> *addrThrottle

func (s *Service) addrThrottle() *addrThrottle {
	if v, ok := addrThrottles.Load(s); ok {
		return v.(*addrThrottle)
	}
	v, _ := addrThrottles.LoadOrStore(s, &addrThrottle{m: map[string]*SignInFailures{}})
	return v.(*addrThrottle)
}

func (a *addrThrottle) lockedFor(ip string, now time.Time) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	if f := a.m[ip]; f != nil && now.Before(f.LockedUntil) {
		return f.LockedUntil.Sub(now)
	}
	return 0
}

func (a *addrThrottle) fail(ip string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.m[ip]
	if f == nil {
		if len(a.m) >= addrThrottleMax {
			for k, v := range a.m {
				if now.Sub(v.LastFailure) > failureMemory || now.After(v.LockedUntil) {
					delete(a.m, k)
				}
			}
			if len(a.m) >= addrThrottleMax {
				clear(a.m)
			}
		}
		f = &SignInFailures{UserKey: ip}
		a.m[ip] = f
	}
	bump(f, now, AddressFreeFailures)
}

func (a *addrThrottle) reset(ip string) {
	a.mu.Lock()
	delete(a.m, ip)
	a.mu.Unlock()
}

// bump records one more failure at now.
func bump(f *SignInFailures, now time.Time, free int) {
	if !f.LastFailure.IsZero() && now.Sub(f.LastFailure) > failureMemory {
		f.Failures = 0
	}
	f.Failures++
	f.LastFailure = now
	f.LockedUntil = now.Add(SignInDelay(f.Failures, free))
}

// passwordStamp identifies a stored password hash without being one.
func passwordStamp(hash string) string {
	h := sha256.Sum256([]byte("iamd/console-password-stamp\x00" + hash))
	return hex.EncodeToString(h[:16])
}

// TokenHash is the stored form of a console session token.
func TokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func newConsoleToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// resolveAccount finds the account named by ID or alias.
func (s *Service) resolveAccount(tx Tx, name string) (string, error) {
	name = strings.TrimSpace(name)
	if isAccountID(name) {
		if s.state.account(name) != nil {
			return name, nil
		}
		return "", nil
	}
	accounts, err := tx.Accounts()
	if err != nil {
		return "", err
	}
	for _, a := range accounts {
		aliases, err := tx.AccountAliases(a.ID)
		if err != nil {
			return "", err
		}
		for _, al := range aliases {
			if strings.EqualFold(al, name) {
				return a.ID, nil
			}
		}
	}
	return "", nil
}

// SignIn checks a console sign-in and, when it succeeds, opens a console
// session. The password is checked against its argon2id hash in constant
// time (and a hash is computed even for unknown names, so timing does not
// reveal them); a user with an MFA device must give a current code, which
// is spent (see VerifyMFA). A password that must be reset, or that expired
// without HardExpiry, signs in into a session that can only change it.
//
// The result is non-nil even on failure, for the caller's audit event.
// Failures are *SignInError; any other error is internal.
func (s *Service) SignIn(ctx context.Context, in SignInInput) (*SignInResult, error) {
	res := &SignInResult{UserName: in.UserName}
	now := s.now()
	addrs := s.addrThrottle()
	if d := addrs.lockedFor(in.SourceIP, now); d > 0 {
		return res, &SignInError{Reason: SignInThrottled, RetryAfter: d}
	}
	res.Root = in.UserName == RootSignInName
	userKey := strings.ToLower(in.UserName)
	if res.Root {
		userKey = RootSignInName
		res.UserName = ""
	}
	var (
		hash    string
		lp      *LoginProfile
		pol     *PasswordPolicy
		locked  time.Duration
		devices []*MFADevice
	)
	err := s.store.View(ctx, func(tx Tx) error {
		acct, err := s.resolveAccount(tx, in.Account)
		if err != nil || acct == "" {
			return err
		}
		res.AccountID = acct
		if f, err := tx.SignInFailures(acct, userKey); err == nil {
			if now.Before(f.LockedUntil) {
				locked = f.LockedUntil.Sub(now)
				return nil
			}
		} else if !isNotFound(err) {
			return err
		}
		if res.Root {
			res.UserID, res.ARN = acct, "arn:"+Partition+":iam::"+acct+":root"
			if h, err := tx.Meta(metaRootPassword(acct)); err == nil {
				hash = h
			} else if !isNotFound(err) {
				return err
			}
		} else if in.UserName != "" {
			u, err := tx.User(acct, in.UserName)
			if isNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			res.UserID, res.ARN, res.UserName = u.ID, u.ARN(), u.Name
			lp, err = tx.LoginProfile(u.ID)
			if isNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			hash = lp.PasswordHash
			if pol, err = passwordPolicyOf(tx, acct); err != nil {
				return err
			}
		}
		if hash != "" {
			devices, err = tx.UserMFADevices(acct, res.UserID)
		}
		return err
	})
	if err != nil {
		return res, internal(err)
	}
	if locked > 0 {
		return res, &SignInError{Reason: SignInThrottled, RetryAfter: locked}
	}
	ok := false
	if hash == "" {
		hashPassword(in.Password) // spend the time a real check takes
	} else {
		ok = checkPassword(hash, in.Password)
	}
	if ok && len(devices) > 0 {
		if in.MFACode == "" {
			return res, &SignInError{Reason: SignInMFARequired}
		}
		ok = false
		for _, d := range devices {
			v, err := s.verifyMFA(ctx, d.SerialNumber, in.MFACode, func(x *MFADevice) bool {
				return x.AccountID == res.AccountID && x.UserID == res.UserID
			})
			if err != nil {
				return res, err
			}
			if v.Valid {
				ok, res.MFAUsed = true, true
				break
			}
		}
	}
	if !ok {
		addrs.fail(in.SourceIP, now)
		if res.AccountID != "" {
			if err := s.recordSignInFailure(ctx, res.AccountID, userKey, now); err != nil {
				return res, err
			}
		}
		return res, &SignInError{Reason: SignInFailed}
	}
	if lp != nil {
		st := passwordState(pol, lp, s.clock())
		if st.HardExpired {
			return res, &SignInError{Reason: SignInPasswordExpired}
		}
		res.MustChangePassword = st.ChangeRequired
	}
	addrs.reset(in.SourceIP)
	token := newConsoleToken()
	cs := &ConsoleSession{TokenHash: TokenHash(token), AccountID: res.AccountID, UserID: res.UserID, UserName: res.UserName,
		PasswordStamp: passwordStamp(hash), MFA: res.MFAUsed, MustChangePassword: res.MustChangePassword,
		SourceIP: in.SourceIP, UserAgent: in.UserAgent, CreateDate: s.clock(), ExpireDate: s.clock().Add(ConsoleSessionDuration)}
	err = s.update(ctx, func(tx Tx) error {
		if err := tx.DeleteSignInFailures(res.AccountID, userKey); err != nil && !isNotFound(err) {
			return err
		}
		if !res.Root {
			// PasswordLastUsed, as GetUser and the credential report show it.
			u, err := tx.UserByID(res.UserID)
			if err != nil {
				return err
			}
			u.PasswordLastUsed = s.clock()
			if err := tx.UpdateUser(u); err != nil {
				return err
			}
		}
		return tx.CreateConsoleSession(cs)
	})
	if err != nil {
		return res, err
	}
	res.Token, res.Session = token, cs
	return res, nil
}

func (s *Service) recordSignInFailure(ctx context.Context, account, userKey string, now time.Time) error {
	return internal(s.store.Update(ctx, func(tx Tx) error {
		f, err := tx.SignInFailures(account, userKey)
		if isNotFound(err) {
			f, err = &SignInFailures{AccountID: account, UserKey: userKey}, nil
		}
		if err != nil {
			return err
		}
		bump(f, now, UserFreeFailures)
		return tx.PutSignInFailures(f)
	}))
}

// ErrNoLockout is UnlockSignIn's answer for a name with no failures.
var ErrNoLockout = errors.New("no failed sign-ins are recorded for that user")

// UnlockSignIn clears a user's failed sign-in count and lockout, for an
// administrator (userName RootSignInName for the root user).
func (s *Service) UnlockSignIn(ctx context.Context, accountID, userName string) error {
	key := strings.ToLower(userName)
	err := s.store.Update(ctx, func(tx Tx) error { return tx.DeleteSignInFailures(accountID, key) })
	if isNotFound(err) {
		return ErrNoLockout
	}
	return internal(err)
}

// SignInLockout returns a user's failure counter (nil when none), for
// the admin command and tests.
func (s *Service) SignInLockout(ctx context.Context, accountID, userName string) (*SignInFailures, error) {
	var out *SignInFailures
	err := s.store.View(ctx, func(tx Tx) error {
		f, err := tx.SignInFailures(accountID, strings.ToLower(userName))
		if isNotFound(err) {
			return nil
		}
		out = f
		return err
	})
	return out, internal(err)
}

// ErrNoConsoleSession is ConsoleAuthenticate's answer for a token that is
// unknown, expired, revoked, or whose password or user is gone.
var ErrNoConsoleSession = errors.New("console session is not valid")

// ConsoleIdentity is a valid console session and the principal it acts
// as.
type ConsoleIdentity struct {
	Session   *ConsoleSession
	Principal *Principal
}

// ConsoleAuthenticate returns the identity of a console session token.
// The principal is built as for temporary credentials from
// GetSessionToken: the user's (or root's) own permissions, with
// aws:MultiFactorAuthPresent true when MFA was used at sign-in, so the
// console is authorized exactly as the API would be for that user.
func (s *Service) ConsoleAuthenticate(ctx context.Context, token string) (*ConsoleIdentity, error) {
	if token == "" {
		return nil, ErrNoConsoleSession
	}
	var cs *ConsoleSession
	valid := false
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		cs, err = tx.ConsoleSession(TokenHash(token))
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if cs.Revoked || !s.now().Before(cs.ExpireDate) {
			return nil
		}
		var hash string
		if cs.UserID == cs.AccountID {
			hash, err = tx.Meta(metaRootPassword(cs.AccountID))
		} else {
			var lp *LoginProfile
			if lp, err = tx.LoginProfile(cs.UserID); err == nil {
				hash = lp.PasswordHash
			}
		}
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		valid = passwordStamp(hash) == cs.PasswordStamp
		return nil
	})
	if err != nil {
		return nil, internal(err)
	}
	if !valid {
		return nil, ErrNoConsoleSession
	}
	sess := &Session{Kind: SessionUser, Account: cs.AccountID, Issued: cs.CreateDate.Unix(), Expires: cs.ExpireDate.Unix(),
		MFA: cs.MFA}
	if cs.MFA {
		sess.MFAAuthTime = cs.CreateDate.Unix()
	}
	p := &Principal{AccountID: cs.AccountID, UserID: cs.UserID, Session: sess}
	if cs.UserID == cs.AccountID {
		p.Type, p.ARN = PrincipalRoot, "arn:"+Partition+":iam::"+cs.AccountID+":root"
	} else {
		u := s.state.userByID(cs.UserID)
		if u == nil {
			return nil, ErrNoConsoleSession
		}
		sess.SourceUserID = u.ID
		p.Type, p.ARN, p.UserName = PrincipalUser, u.ARN(), u.Name
	}
	return &ConsoleIdentity{Session: cs, Principal: p}, nil
}

// SignOut revokes a console session. Unknown tokens are not an error:
// signing out twice is harmless.
func (s *Service) SignOut(ctx context.Context, token string) error {
	err := s.store.Update(ctx, func(tx Tx) error { return tx.RevokeConsoleSession(TokenHash(token)) })
	if isNotFound(err) {
		return nil
	}
	return internal(err)
}

// ChangeConsolePassword changes the signed-in user's password (through
// ChangePassword, so the API's authorization and password policy apply;
// for the root user AWS's root password rules apply), ends every console
// session of the user and opens a fresh one, whose token it returns.
func (s *Service) ChangeConsolePassword(ctx context.Context, id *ConsoleIdentity, oldPassword, newPassword string) (string, *ConsoleSession, error) {
	p := id.Principal
	if p.IsRoot() {
		ok, err := s.VerifyRootPassword(ctx, p.AccountID, oldPassword)
		if err != nil {
			return "", nil, err
		}
		if !ok {
			return "", nil, Errorf(CodeInvalidUserType, "The old password is incorrect.")
		}
		if err := s.SetRootPassword(ctx, p.AccountID, newPassword); err != nil {
			return "", nil, Errorf(CodePasswordPolicyViolation, "%s", err.Error())
		}
	} else if err := s.ChangePassword(ctx, p, oldPassword, newPassword); err != nil {
		return "", nil, err
	}
	token := newConsoleToken()
	old := id.Session
	cs := &ConsoleSession{TokenHash: TokenHash(token), AccountID: old.AccountID, UserID: old.UserID, UserName: old.UserName,
		MFA: old.MFA, SourceIP: old.SourceIP, UserAgent: old.UserAgent, CreateDate: s.clock(), ExpireDate: old.ExpireDate}
	err := s.store.Update(ctx, func(tx Tx) error {
		var hash string
		var err error
		if p.IsRoot() {
			hash, err = tx.Meta(metaRootPassword(p.AccountID))
		} else {
			var lp *LoginProfile
			if lp, err = tx.LoginProfile(p.UserID); err == nil {
				hash = lp.PasswordHash
			}
		}
		if err != nil {
			return err
		}
		cs.PasswordStamp = passwordStamp(hash)
		if _, err := tx.RevokeConsoleSessions(old.AccountID, old.UserID); err != nil {
			return err
		}
		return tx.CreateConsoleSession(cs)
	})
	if err != nil {
		return "", nil, internal(err)
	}
	return token, cs, nil
}

// PruneConsoleSessions deletes sessions that expired more than a day ago.
func (s *Service) PruneConsoleSessions(ctx context.Context) error {
	return internal(s.store.Update(ctx, func(tx Tx) error { return tx.PruneConsoleSessions(s.now().Add(-24 * time.Hour)) }))
}

// ConsolePasswordPolicy returns the password policy a console user's new
// password must meet (nil: AWS's default rules), to show on the
// change-password form. AWS shows these rules to every user changing a
// password, whether or not they may call GetAccountPasswordPolicy, so the
// signed-in session is the only authorization.
func (s *Service) ConsolePasswordPolicy(ctx context.Context, id *ConsoleIdentity) (*PasswordPolicy, error) {
	var pol *PasswordPolicy
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		pol, err = passwordPolicyOf(tx, id.Principal.AccountID)
		return err
	})
	return pol, internal(err)
}
