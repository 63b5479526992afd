package sqlstore

import (
	"fmt"
	"time"

	"github.com/iamd/iamd/iam"
)

// --- console sessions

const consoleCols = `token_hash, account_id, user_id, user_name, password_stamp, mfa, must_change_password,
	source_ip, user_agent, create_date, expire_date, revoked`

var (
	qCreateConsole  = q(`INSERT INTO console_sessions (` + consoleCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qConsole        = q(`SELECT ` + consoleCols + ` FROM console_sessions WHERE token_hash = ?`)
	qRevokeConsoles = q(`UPDATE console_sessions SET revoked = 1 WHERE account_id = ? AND user_id = ? AND revoked = 0`)
	qRevokeConsole  = q(`UPDATE console_sessions SET revoked = 1 WHERE token_hash = ?`)
	qPruneConsoles  = q(`DELETE FROM console_sessions WHERE expire_date < ?`)
)

func (t *Tx) CreateConsoleSession(cs *iam.ConsoleSession) error {
	cd, err := timeToDB(cs.CreateDate)
	if err != nil {
		return fmt.Errorf("create console session: %w", err)
	}
	ed, err := timeToDB(cs.ExpireDate)
	if err != nil {
		return fmt.Errorf("create console session: %w", err)
	}
	if _, err := t.exec(qCreateConsole, cs.TokenHash, cs.AccountID, cs.UserID, cs.UserName, cs.PasswordStamp,
		boolToDB(cs.MFA), boolToDB(cs.MustChangePassword), cs.SourceIP, cs.UserAgent, cd, ed, boolToDB(cs.Revoked)); err != nil {
		return fmt.Errorf("create console session: %w", t.classify(err))
	}
	return nil
}

func (t *Tx) ConsoleSession(tokenHash string) (*iam.ConsoleSession, error) {
	row, err := t.queryRow(qConsole, tokenHash)
	if err != nil {
		return nil, fmt.Errorf("console session: %w", err)
	}
	var cs iam.ConsoleSession
	var mfa, must, revoked, cd, ed int64
	if err := row.Scan(&cs.TokenHash, &cs.AccountID, &cs.UserID, &cs.UserName, &cs.PasswordStamp, &mfa, &must,
		&cs.SourceIP, &cs.UserAgent, &cd, &ed, &revoked); err != nil {
		return nil, fmt.Errorf("console session: %w", t.classify(err))
	}
	cs.MFA, cs.MustChangePassword, cs.Revoked = mfa != 0, must != 0, revoked != 0
	cs.CreateDate, cs.ExpireDate = timeFromDB(cd), timeFromDB(ed)
	return &cs, nil
}

func (t *Tx) RevokeConsoleSessions(accountID, userID string) (int, error) {
	res, err := t.exec(qRevokeConsoles, accountID, userID)
	if err != nil {
		return 0, fmt.Errorf("revoke console sessions of %s: %w", userID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("revoke console sessions of %s: %w", userID, err)
	}
	return int(n), nil
}

func (t *Tx) RevokeConsoleSession(tokenHash string) error {
	if err := t.execOne(qRevokeConsole, tokenHash); err != nil {
		return fmt.Errorf("revoke console session: %w", t.classify(err))
	}
	return nil
}

func (t *Tx) PruneConsoleSessions(before time.Time) error {
	b, err := timeToDB(before)
	if err != nil {
		return fmt.Errorf("prune console sessions: %w", err)
	}
	if _, err := t.exec(qPruneConsoles, b); err != nil {
		return fmt.Errorf("prune console sessions: %w", err)
	}
	return nil
}

// --- sign-in failure counters

var (
	qSignInFailures    = q(`SELECT account_id, user_key, failures, last_failure, locked_until FROM sign_in_failures WHERE account_id = ? AND user_key = ?`)
	qPutSignInFailures = q(`INSERT INTO sign_in_failures (account_id, user_key, failures, last_failure, locked_until) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (account_id, user_key) DO UPDATE SET failures = excluded.failures, last_failure = excluded.last_failure, locked_until = excluded.locked_until`)
	qDeleteSignInFailures = q(`DELETE FROM sign_in_failures WHERE account_id = ? AND user_key = ?`)
)

func (t *Tx) SignInFailures(accountID, userKey string) (*iam.SignInFailures, error) {
	row, err := t.queryRow(qSignInFailures, accountID, userKey)
	if err != nil {
		return nil, fmt.Errorf("sign-in failures %s: %w", userKey, err)
	}
	var f iam.SignInFailures
	var last, locked int64
	if err := row.Scan(&f.AccountID, &f.UserKey, &f.Failures, &last, &locked); err != nil {
		return nil, fmt.Errorf("sign-in failures %s: %w", userKey, t.classify(err))
	}
	f.LastFailure, f.LockedUntil = timeFromDB(last), timeFromDB(locked)
	return &f, nil
}

func (t *Tx) PutSignInFailures(f *iam.SignInFailures) error {
	last, err := timeToDB(f.LastFailure)
	if err != nil {
		return fmt.Errorf("put sign-in failures %s: %w", f.UserKey, err)
	}
	locked, err := timeToDB(f.LockedUntil)
	if err != nil {
		return fmt.Errorf("put sign-in failures %s: %w", f.UserKey, err)
	}
	if _, err := t.exec(qPutSignInFailures, f.AccountID, f.UserKey, f.Failures, last, locked); err != nil {
		return fmt.Errorf("put sign-in failures %s: %w", f.UserKey, err)
	}
	return nil
}

func (t *Tx) DeleteSignInFailures(accountID, userKey string) error {
	if err := t.execOne(qDeleteSignInFailures, accountID, userKey); err != nil {
		return fmt.Errorf("delete sign-in failures %s: %w", userKey, t.classify(err))
	}
	return nil
}
