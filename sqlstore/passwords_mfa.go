package sqlstore

import (
	"fmt"
	"strings"

	"github.com/iamd/iamd/iam"
)

func boolToDB(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// --- login profiles

const loginCols = `user_id, account_id, password_hash, history, password_reset_required, create_date, password_changed`

var (
	qCreateLogin = q(`INSERT INTO login_profiles (` + loginCols + `) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	qLogin       = q(`SELECT ` + loginCols + ` FROM login_profiles WHERE user_id = ?`)
	qUpdateLogin = q(`UPDATE login_profiles SET password_hash = ?, history = ?, password_reset_required = ?, password_changed = ? WHERE user_id = ?`)
	qDeleteLogin = q(`DELETE FROM login_profiles WHERE user_id = ?`)
)

func (t *Tx) CreateLoginProfile(lp *iam.LoginProfile) error {
	hist, err := stringsToDB(lp.History)
	if err != nil {
		return fmt.Errorf("create login profile %s: %w", lp.UserID, err)
	}
	cd, err := timeToDB(lp.CreateDate)
	if err != nil {
		return fmt.Errorf("create login profile %s: %w", lp.UserID, err)
	}
	pc, err := timeToDB(lp.PasswordChanged)
	if err != nil {
		return fmt.Errorf("create login profile %s: %w", lp.UserID, err)
	}
	if _, err := t.exec(qCreateLogin, lp.UserID, lp.AccountID, lp.PasswordHash, hist, boolToDB(lp.PasswordResetRequired), cd, pc); err != nil {
		return fmt.Errorf("create login profile %s: %w", lp.UserID, t.classifyRef(err, iam.ErrNotFound))
	}
	return nil
}

func (t *Tx) LoginProfile(userID string) (*iam.LoginProfile, error) {
	row, err := t.queryRow(qLogin, userID)
	if err != nil {
		return nil, fmt.Errorf("login profile %s: %w", userID, err)
	}
	var lp iam.LoginProfile
	var hist string
	var reset, cd, pc int64
	if err := row.Scan(&lp.UserID, &lp.AccountID, &lp.PasswordHash, &hist, &reset, &cd, &pc); err != nil {
		return nil, fmt.Errorf("login profile %s: %w", userID, t.classify(err))
	}
	if lp.History, err = stringsFromDB(hist); err != nil {
		return nil, fmt.Errorf("login profile %s: %w", userID, err)
	}
	lp.PasswordResetRequired = reset != 0
	lp.CreateDate, lp.PasswordChanged = timeFromDB(cd), timeFromDB(pc)
	return &lp, nil
}

func (t *Tx) UpdateLoginProfile(lp *iam.LoginProfile) error {
	hist, err := stringsToDB(lp.History)
	if err != nil {
		return fmt.Errorf("update login profile %s: %w", lp.UserID, err)
	}
	pc, err := timeToDB(lp.PasswordChanged)
	if err != nil {
		return fmt.Errorf("update login profile %s: %w", lp.UserID, err)
	}
	if err := t.execOne(qUpdateLogin, lp.PasswordHash, hist, boolToDB(lp.PasswordResetRequired), pc, lp.UserID); err != nil {
		return fmt.Errorf("update login profile %s: %w", lp.UserID, t.classify(err))
	}
	return nil
}

func (t *Tx) DeleteLoginProfile(userID string) error {
	if err := t.execOne(qDeleteLogin, userID); err != nil {
		return fmt.Errorf("delete login profile %s: %w", userID, t.classify(err))
	}
	return nil
}

// --- password policies

const pwPolicyCols = `account_id, minimum_password_length, require_symbols, require_numbers, require_uppercase_characters,
	require_lowercase_characters, allow_users_to_change, max_password_age, password_reuse_prevention, hard_expiry`

var (
	qPasswordPolicy    = q(`SELECT ` + pwPolicyCols + ` FROM password_policies WHERE account_id = ?`)
	qPutPasswordPolicy = q(`INSERT INTO password_policies (` + pwPolicyCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id) DO UPDATE SET minimum_password_length = excluded.minimum_password_length,
		require_symbols = excluded.require_symbols, require_numbers = excluded.require_numbers,
		require_uppercase_characters = excluded.require_uppercase_characters,
		require_lowercase_characters = excluded.require_lowercase_characters,
		allow_users_to_change = excluded.allow_users_to_change, max_password_age = excluded.max_password_age,
		password_reuse_prevention = excluded.password_reuse_prevention, hard_expiry = excluded.hard_expiry`)
	qDelPasswordPolicy = q(`DELETE FROM password_policies WHERE account_id = ?`)
)

func (t *Tx) PasswordPolicy(accountID string) (*iam.PasswordPolicy, error) {
	row, err := t.queryRow(qPasswordPolicy, accountID)
	if err != nil {
		return nil, fmt.Errorf("password policy %s: %w", accountID, err)
	}
	var p iam.PasswordPolicy
	var sym, num, up, low, allow, hard int64
	if err := row.Scan(&p.AccountID, &p.MinimumPasswordLength, &sym, &num, &up, &low, &allow, &p.MaxPasswordAge,
		&p.PasswordReusePrevention, &hard); err != nil {
		return nil, fmt.Errorf("password policy %s: %w", accountID, t.classify(err))
	}
	p.RequireSymbols, p.RequireNumbers, p.RequireUppercaseCharacters = sym != 0, num != 0, up != 0
	p.RequireLowercaseCharacters, p.AllowUsersToChangePassword, p.HardExpiry = low != 0, allow != 0, hard != 0
	return &p, nil
}

func (t *Tx) PutPasswordPolicy(p *iam.PasswordPolicy) error {
	if _, err := t.exec(qPutPasswordPolicy, p.AccountID, p.MinimumPasswordLength, boolToDB(p.RequireSymbols),
		boolToDB(p.RequireNumbers), boolToDB(p.RequireUppercaseCharacters), boolToDB(p.RequireLowercaseCharacters),
		boolToDB(p.AllowUsersToChangePassword), p.MaxPasswordAge, p.PasswordReusePrevention, boolToDB(p.HardExpiry)); err != nil {
		return fmt.Errorf("put password policy %s: %w", p.AccountID, t.classify(err))
	}
	return nil
}

func (t *Tx) DeletePasswordPolicy(accountID string) error {
	if err := t.execOne(qDelPasswordPolicy, accountID); err != nil {
		return fmt.Errorf("delete password policy %s: %w", accountID, t.classify(err))
	}
	return nil
}

// --- MFA devices

const mfaCols = `serial_number, account_id, name, path, sealed_seed, create_date, user_id, enable_date, last_step, drift, tags`

var (
	qCreateMFA = q(`INSERT INTO mfa_devices (serial_number, account_id, name, name_lower, path, sealed_seed, create_date,
		user_id, enable_date, last_step, drift, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qMFA       = q(`SELECT ` + mfaCols + ` FROM mfa_devices WHERE serial_number = ?`)
	qMFAs      = q(`SELECT ` + mfaCols + ` FROM mfa_devices WHERE account_id = ? ORDER BY serial_number`)
	qUserMFAs  = q(`SELECT ` + mfaCols + ` FROM mfa_devices WHERE account_id = ? AND user_id = ? ORDER BY enable_date, serial_number`)
	qUpdateMFA = q(`UPDATE mfa_devices SET user_id = ?, enable_date = ?, last_step = ?, drift = ?, tags = ? WHERE serial_number = ?`)
	qDeleteMFA = q(`DELETE FROM mfa_devices WHERE serial_number = ?`)
)

func (t *Tx) CreateMFADevice(d *iam.MFADevice) error {
	tags, err := tagsToDB(d.Tags)
	if err != nil {
		return fmt.Errorf("create mfa device %s: %w", d.SerialNumber, err)
	}
	cd, err := timeToDB(d.CreateDate)
	if err != nil {
		return fmt.Errorf("create mfa device %s: %w", d.SerialNumber, err)
	}
	ed, err := timeToDB(d.EnableDate)
	if err != nil {
		return fmt.Errorf("create mfa device %s: %w", d.SerialNumber, err)
	}
	if _, err := t.exec(qCreateMFA, d.SerialNumber, d.AccountID, d.Name, strings.ToLower(d.Name), d.Path, d.SealedSeed, cd,
		d.UserID, ed, d.LastStep, d.Drift, tags); err != nil {
		return fmt.Errorf("create mfa device %s: %w", d.SerialNumber, t.classify(err))
	}
	return nil
}

func (t *Tx) MFADevice(serial string) (*iam.MFADevice, error) {
	row, err := t.queryRow(qMFA, serial)
	if err != nil {
		return nil, fmt.Errorf("mfa device %s: %w", serial, err)
	}
	d, err := scanMFA(row)
	if err != nil {
		return nil, fmt.Errorf("mfa device %s: %w", serial, t.classify(err))
	}
	return d, nil
}

func (t *Tx) MFADevices(accountID string) ([]*iam.MFADevice, error) {
	rows, err := t.query(qMFAs, accountID)
	if err != nil {
		return nil, fmt.Errorf("list mfa devices: %w", err)
	}
	ds, err := collect(rows, scanMFA)
	if err != nil {
		return nil, fmt.Errorf("list mfa devices: %w", err)
	}
	return ds, nil
}

func (t *Tx) UserMFADevices(accountID, userID string) ([]*iam.MFADevice, error) {
	if userID == "" {
		return nil, nil
	}
	rows, err := t.query(qUserMFAs, accountID, userID)
	if err != nil {
		return nil, fmt.Errorf("list mfa devices of %s: %w", userID, err)
	}
	ds, err := collect(rows, scanMFA)
	if err != nil {
		return nil, fmt.Errorf("list mfa devices of %s: %w", userID, err)
	}
	return ds, nil
}

func (t *Tx) UpdateMFADevice(d *iam.MFADevice) error {
	tags, err := tagsToDB(d.Tags)
	if err != nil {
		return fmt.Errorf("update mfa device %s: %w", d.SerialNumber, err)
	}
	ed, err := timeToDB(d.EnableDate)
	if err != nil {
		return fmt.Errorf("update mfa device %s: %w", d.SerialNumber, err)
	}
	if err := t.execOne(qUpdateMFA, d.UserID, ed, d.LastStep, d.Drift, tags, d.SerialNumber); err != nil {
		return fmt.Errorf("update mfa device %s: %w", d.SerialNumber, t.classify(err))
	}
	return nil
}

func (t *Tx) DeleteMFADevice(serial string) error {
	if err := t.execOne(qDeleteMFA, serial); err != nil {
		return fmt.Errorf("delete mfa device %s: %w", serial, t.classify(err))
	}
	return nil
}

func scanMFA(s scanner) (*iam.MFADevice, error) {
	var d iam.MFADevice
	var cd, ed int64
	var tags string
	if err := s.Scan(&d.SerialNumber, &d.AccountID, &d.Name, &d.Path, &d.SealedSeed, &cd, &d.UserID, &ed, &d.LastStep,
		&d.Drift, &tags); err != nil {
		return nil, err
	}
	var err error
	if d.Tags, err = tagsFromDB(tags); err != nil {
		return nil, err
	}
	d.CreateDate, d.EnableDate = timeFromDB(cd), timeFromDB(ed)
	return &d, nil
}
