package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/iamd/iamd/iam"
)

func stringsToDB(s []string) (string, error) {
	if len(s) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func stringsFromDB(s string) ([]string, error) {
	if s == "[]" || s == "" {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("decode list: %w", err)
	}
	return out, nil
}

// --- OpenID Connect providers

const oidcCols = `account_id, url, client_ids, thumbprints, create_date, tags`

var (
	qCreateOIDC = q(`INSERT INTO oidc_providers (` + oidcCols + `) VALUES (?, ?, ?, ?, ?, ?)`)
	qOIDC       = q(`SELECT ` + oidcCols + ` FROM oidc_providers WHERE account_id = ? AND url = ?`)
	qOIDCs      = q(`SELECT ` + oidcCols + ` FROM oidc_providers WHERE account_id = ? ORDER BY url`)
	qUpdateOIDC = q(`UPDATE oidc_providers SET client_ids = ?, thumbprints = ?, tags = ? WHERE account_id = ? AND url = ?`)
	qDeleteOIDC = q(`DELETE FROM oidc_providers WHERE account_id = ? AND url = ?`)
)

func oidcArgs(p *iam.OIDCProvider) (ids, tps, tags string, err error) {
	if ids, err = stringsToDB(p.ClientIDs); err != nil {
		return
	}
	if tps, err = stringsToDB(p.Thumbprints); err != nil {
		return
	}
	tags, err = tagsToDB(p.Tags)
	return
}

func (t *Tx) CreateOIDCProvider(p *iam.OIDCProvider) error {
	ids, tps, tags, err := oidcArgs(p)
	if err != nil {
		return fmt.Errorf("create oidc provider %s: %w", p.URL, err)
	}
	cd, err := timeToDB(p.CreateDate)
	if err != nil {
		return fmt.Errorf("create oidc provider %s: %w", p.URL, err)
	}
	if _, err := t.exec(qCreateOIDC, p.AccountID, p.URL, ids, tps, cd, tags); err != nil {
		return fmt.Errorf("create oidc provider %s: %w", p.URL, t.classify(err))
	}
	return nil
}

func (t *Tx) OIDCProvider(accountID, url string) (*iam.OIDCProvider, error) {
	row, err := t.queryRow(qOIDC, accountID, url)
	if err != nil {
		return nil, fmt.Errorf("oidc provider %s: %w", url, err)
	}
	p, err := scanOIDC(row)
	if err != nil {
		return nil, fmt.Errorf("oidc provider %s: %w", url, t.classify(err))
	}
	return p, nil
}

func (t *Tx) OIDCProviders(accountID string) ([]*iam.OIDCProvider, error) {
	rows, err := t.query(qOIDCs, accountID)
	if err != nil {
		return nil, fmt.Errorf("list oidc providers: %w", err)
	}
	ps, err := collect(rows, scanOIDC)
	if err != nil {
		return nil, fmt.Errorf("list oidc providers: %w", err)
	}
	return ps, nil
}

func (t *Tx) UpdateOIDCProvider(p *iam.OIDCProvider) error {
	ids, tps, tags, err := oidcArgs(p)
	if err != nil {
		return fmt.Errorf("update oidc provider %s: %w", p.URL, err)
	}
	if err := t.execOne(qUpdateOIDC, ids, tps, tags, p.AccountID, p.URL); err != nil {
		return fmt.Errorf("update oidc provider %s: %w", p.URL, t.classify(err))
	}
	return nil
}

func (t *Tx) DeleteOIDCProvider(accountID, url string) error {
	if err := t.execOne(qDeleteOIDC, accountID, url); err != nil {
		return fmt.Errorf("delete oidc provider %s: %w", url, t.classify(err))
	}
	return nil
}

func scanOIDC(s scanner) (*iam.OIDCProvider, error) {
	var p iam.OIDCProvider
	var ids, tps, tags string
	var cd int64
	if err := s.Scan(&p.AccountID, &p.URL, &ids, &tps, &cd, &tags); err != nil {
		return nil, err
	}
	var err error
	if p.ClientIDs, err = stringsFromDB(ids); err != nil {
		return nil, err
	}
	if p.Thumbprints, err = stringsFromDB(tps); err != nil {
		return nil, err
	}
	if p.Tags, err = tagsFromDB(tags); err != nil {
		return nil, err
	}
	p.CreateDate = timeFromDB(cd)
	return &p, nil
}

// --- SAML providers

const samlCols = `id, account_id, name, metadata, create_date, valid_until, assertion_encryption_mode, tags`

var (
	qCreateSAML = q(`INSERT INTO saml_providers (id, account_id, name, name_lower, metadata, create_date, valid_until, assertion_encryption_mode, tags)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qSAML       = q(`SELECT ` + samlCols + ` FROM saml_providers WHERE account_id = ? AND name_lower = ?`)
	qSAMLs      = q(`SELECT ` + samlCols + ` FROM saml_providers WHERE account_id = ? ORDER BY name_lower`)
	qUpdateSAML = q(`UPDATE saml_providers SET metadata = ?, valid_until = ?, assertion_encryption_mode = ?, tags = ? WHERE id = ?`)
	qDeleteSAML = q(`DELETE FROM saml_providers WHERE id = ?`)
)

func (t *Tx) CreateSAMLProvider(p *iam.SAMLProvider) error {
	tags, err := tagsToDB(p.Tags)
	if err != nil {
		return fmt.Errorf("create saml provider %s: %w", p.Name, err)
	}
	cd, err := timeToDB(p.CreateDate)
	if err != nil {
		return fmt.Errorf("create saml provider %s: %w", p.Name, err)
	}
	vu, err := timeToDB(p.ValidUntil)
	if err != nil {
		return fmt.Errorf("create saml provider %s: %w", p.Name, err)
	}
	if _, err := t.exec(qCreateSAML, p.ID, p.AccountID, p.Name, strings.ToLower(p.Name), p.Metadata, cd, vu,
		p.AssertionEncryptionMode, tags); err != nil {
		return fmt.Errorf("create saml provider %s: %w", p.Name, t.classify(err))
	}
	return nil
}

func (t *Tx) SAMLProvider(accountID, name string) (*iam.SAMLProvider, error) {
	row, err := t.queryRow(qSAML, accountID, strings.ToLower(name))
	if err != nil {
		return nil, fmt.Errorf("saml provider %s: %w", name, err)
	}
	p, err := scanSAML(row)
	if err != nil {
		return nil, fmt.Errorf("saml provider %s: %w", name, t.classify(err))
	}
	return p, nil
}

func (t *Tx) SAMLProviders(accountID string) ([]*iam.SAMLProvider, error) {
	rows, err := t.query(qSAMLs, accountID)
	if err != nil {
		return nil, fmt.Errorf("list saml providers: %w", err)
	}
	ps, err := collect(rows, scanSAML)
	if err != nil {
		return nil, fmt.Errorf("list saml providers: %w", err)
	}
	return ps, nil
}

func (t *Tx) UpdateSAMLProvider(p *iam.SAMLProvider) error {
	tags, err := tagsToDB(p.Tags)
	if err != nil {
		return fmt.Errorf("update saml provider %s: %w", p.ID, err)
	}
	vu, err := timeToDB(p.ValidUntil)
	if err != nil {
		return fmt.Errorf("update saml provider %s: %w", p.ID, err)
	}
	if err := t.execOne(qUpdateSAML, p.Metadata, vu, p.AssertionEncryptionMode, tags, p.ID); err != nil {
		return fmt.Errorf("update saml provider %s: %w", p.ID, t.classify(err))
	}
	return nil
}

func (t *Tx) DeleteSAMLProvider(id string) error {
	if err := t.execOne(qDeleteSAML, id); err != nil {
		return fmt.Errorf("delete saml provider %s: %w", id, t.classify(err))
	}
	return nil
}

func scanSAML(s scanner) (*iam.SAMLProvider, error) {
	var p iam.SAMLProvider
	var cd, vu int64
	var tags string
	if err := s.Scan(&p.ID, &p.AccountID, &p.Name, &p.Metadata, &cd, &vu, &p.AssertionEncryptionMode, &tags); err != nil {
		return nil, err
	}
	var err error
	if p.Tags, err = tagsFromDB(tags); err != nil {
		return nil, err
	}
	p.CreateDate = timeFromDB(cd)
	p.ValidUntil = timeFromDB(vu)
	return &p, nil
}

// --- SSH public keys

const sshCols = `id, account_id, user_id, body, fingerprint, status, upload_date`

var (
	qCreateSSH = q(`INSERT INTO ssh_public_keys (` + sshCols + `) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	qSSH       = q(`SELECT ` + sshCols + ` FROM ssh_public_keys WHERE id = ?`)
	qSSHs      = q(`SELECT ` + sshCols + ` FROM ssh_public_keys WHERE user_id = ? ORDER BY upload_date, id`)
	qUpdateSSH = q(`UPDATE ssh_public_keys SET status = ? WHERE id = ?`)
	qDeleteSSH = q(`DELETE FROM ssh_public_keys WHERE id = ?`)
)

func (t *Tx) CreateSSHPublicKey(k *iam.SSHPublicKey) error {
	ud, err := timeToDB(k.UploadDate)
	if err != nil {
		return fmt.Errorf("create ssh public key %s: %w", k.ID, err)
	}
	if _, err := t.exec(qCreateSSH, k.ID, k.AccountID, k.UserID, k.Body, k.Fingerprint, k.Status, ud); err != nil {
		return fmt.Errorf("create ssh public key %s: %w", k.ID, t.classifyRef(err, iam.ErrNotFound))
	}
	return nil
}

func (t *Tx) SSHPublicKey(id string) (*iam.SSHPublicKey, error) {
	row, err := t.queryRow(qSSH, id)
	if err != nil {
		return nil, fmt.Errorf("ssh public key %s: %w", id, err)
	}
	k, err := scanSSH(row)
	if err != nil {
		return nil, fmt.Errorf("ssh public key %s: %w", id, t.classify(err))
	}
	return k, nil
}

func (t *Tx) SSHPublicKeys(userID string) ([]*iam.SSHPublicKey, error) {
	rows, err := t.query(qSSHs, userID)
	if err != nil {
		return nil, fmt.Errorf("list ssh public keys: %w", err)
	}
	ks, err := collect(rows, scanSSH)
	if err != nil {
		return nil, fmt.Errorf("list ssh public keys: %w", err)
	}
	return ks, nil
}

func (t *Tx) UpdateSSHPublicKey(k *iam.SSHPublicKey) error {
	if err := t.execOne(qUpdateSSH, k.Status, k.ID); err != nil {
		return fmt.Errorf("update ssh public key %s: %w", k.ID, t.classify(err))
	}
	return nil
}

func (t *Tx) DeleteSSHPublicKey(id string) error {
	if err := t.execOne(qDeleteSSH, id); err != nil {
		return fmt.Errorf("delete ssh public key %s: %w", id, t.classify(err))
	}
	return nil
}

func scanSSH(s scanner) (*iam.SSHPublicKey, error) {
	var k iam.SSHPublicKey
	var ud int64
	if err := s.Scan(&k.ID, &k.AccountID, &k.UserID, &k.Body, &k.Fingerprint, &k.Status, &ud); err != nil {
		return nil, err
	}
	k.UploadDate = timeFromDB(ud)
	return &k, nil
}

// --- signing certificates

const certCols = `id, account_id, user_id, body, fingerprint, status, upload_date`

var (
	qCreateCert = q(`INSERT INTO signing_certificates (` + certCols + `) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	qCert       = q(`SELECT ` + certCols + ` FROM signing_certificates WHERE id = ?`)
	// The root user's certificates have a NULL user_id: a query of its
	// own, so that both can use the owner index (see qKeys).
	qCerts      = q(`SELECT ` + certCols + ` FROM signing_certificates WHERE user_id = ? AND account_id = ? ORDER BY upload_date, id`)
	qRootCerts  = q(`SELECT ` + certCols + ` FROM signing_certificates WHERE user_id IS NULL AND account_id = ? ORDER BY upload_date, id`)
	qUpdateCert = q(`UPDATE signing_certificates SET status = ? WHERE id = ?`)
	qDeleteCert = q(`DELETE FROM signing_certificates WHERE id = ?`)
)

func (t *Tx) CreateSigningCertificate(c *iam.SigningCertificate) error {
	ud, err := timeToDB(c.UploadDate)
	if err != nil {
		return fmt.Errorf("create signing certificate %s: %w", c.ID, err)
	}
	if _, err := t.exec(qCreateCert, c.ID, c.AccountID, keyUser(c.UserID), c.Body, c.Fingerprint, c.Status, ud); err != nil {
		return fmt.Errorf("create signing certificate %s: %w", c.ID, t.classifyRef(err, iam.ErrNotFound))
	}
	return nil
}

func (t *Tx) SigningCertificate(id string) (*iam.SigningCertificate, error) {
	row, err := t.queryRow(qCert, id)
	if err != nil {
		return nil, fmt.Errorf("signing certificate %s: %w", id, err)
	}
	c, err := scanCert(row)
	if err != nil {
		return nil, fmt.Errorf("signing certificate %s: %w", id, t.classify(err))
	}
	return c, nil
}

func (t *Tx) SigningCertificates(accountID, userID string) ([]*iam.SigningCertificate, error) {
	q, args := qCerts, []any{userID, accountID}
	if userID == "" {
		q, args = qRootCerts, []any{accountID}
	}
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("list signing certificates: %w", err)
	}
	cs, err := collect(rows, scanCert)
	if err != nil {
		return nil, fmt.Errorf("list signing certificates: %w", err)
	}
	return cs, nil
}

func (t *Tx) UpdateSigningCertificate(c *iam.SigningCertificate) error {
	if err := t.execOne(qUpdateCert, c.Status, c.ID); err != nil {
		return fmt.Errorf("update signing certificate %s: %w", c.ID, t.classify(err))
	}
	return nil
}

func (t *Tx) DeleteSigningCertificate(id string) error {
	if err := t.execOne(qDeleteCert, id); err != nil {
		return fmt.Errorf("delete signing certificate %s: %w", id, t.classify(err))
	}
	return nil
}

func scanCert(s scanner) (*iam.SigningCertificate, error) {
	var c iam.SigningCertificate
	var user sql.NullString
	var ud int64
	if err := s.Scan(&c.ID, &c.AccountID, &user, &c.Body, &c.Fingerprint, &c.Status, &ud); err != nil {
		return nil, err
	}
	c.UserID = user.String
	c.UploadDate = timeFromDB(ud)
	return &c, nil
}

// --- server certificates

const serverCertCols = `c.id, c.account_id, c.name, c.path, c.body, c.chain, c.sealed_private_key, c.upload_date, c.expiration, c.tags`

var (
	qCreateServerCert = q(`INSERT INTO server_certificates (id, account_id, name, name_lower, path, body, chain, sealed_private_key, upload_date, expiration, tags)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qServerCert       = q(`SELECT ` + serverCertCols + ` FROM server_certificates c WHERE c.account_id = ? AND c.name_lower = ?`)
	qServerCerts      = listQuery(`SELECT `+serverCertCols+` FROM server_certificates c WHERE c.account_id = ?4`, "c")
	qCountServerCerts = q(`SELECT count(*) FROM server_certificates WHERE account_id = ?`)
	qUpdateServerCert = q(`UPDATE server_certificates SET name = ?, name_lower = ?, path = ?, tags = ? WHERE id = ?`)
	qDeleteServerCert = q(`DELETE FROM server_certificates WHERE id = ?`)
)

func (t *Tx) CreateServerCertificate(c *iam.ServerCertificate) error {
	tags, err := tagsToDB(c.Tags)
	if err != nil {
		return fmt.Errorf("create server certificate %s: %w", c.Name, err)
	}
	ud, err := timeToDB(c.UploadDate)
	if err != nil {
		return fmt.Errorf("create server certificate %s: %w", c.Name, err)
	}
	exp, err := timeToDB(c.Expiration)
	if err != nil {
		return fmt.Errorf("create server certificate %s: %w", c.Name, err)
	}
	key := c.SealedPrivateKey
	if key == nil {
		key = []byte{} // the column is NOT NULL; nil would bind as NULL
	}
	if _, err := t.exec(qCreateServerCert, c.ID, c.AccountID, c.Name, strings.ToLower(c.Name), c.Path, c.Body, c.Chain,
		key, ud, exp, tags); err != nil {
		return fmt.Errorf("create server certificate %s: %w", c.Name, t.classify(err))
	}
	return nil
}

func (t *Tx) ServerCertificate(accountID, name string) (*iam.ServerCertificate, error) {
	row, err := t.queryRow(qServerCert, accountID, strings.ToLower(name))
	if err != nil {
		return nil, fmt.Errorf("server certificate %s: %w", name, err)
	}
	c, err := scanServerCert(row)
	if err != nil {
		return nil, fmt.Errorf("server certificate %s: %w", name, t.classify(err))
	}
	return c, nil
}

func (t *Tx) ServerCertificates(accountID string, lq iam.ListQuery) ([]*iam.ServerCertificate, error) {
	rows, err := t.query(qServerCerts, t.listArgs(lq, accountID)...)
	if err != nil {
		return nil, fmt.Errorf("list server certificates: %w", err)
	}
	cs, err := collect(rows, scanServerCert)
	if err != nil {
		return nil, fmt.Errorf("list server certificates: %w", err)
	}
	return cs, nil
}

func (t *Tx) CountServerCertificates(accountID string) (int, error) {
	n, err := t.count(qCountServerCerts, accountID)
	if err != nil {
		return 0, fmt.Errorf("count server certificates: %w", err)
	}
	return n, nil
}

func (t *Tx) UpdateServerCertificate(c *iam.ServerCertificate) error {
	tags, err := tagsToDB(c.Tags)
	if err != nil {
		return fmt.Errorf("update server certificate %s: %w", c.ID, err)
	}
	if err := t.execOne(qUpdateServerCert, c.Name, strings.ToLower(c.Name), c.Path, tags, c.ID); err != nil {
		return fmt.Errorf("update server certificate %s: %w", c.ID, t.classify(err))
	}
	return nil
}

func (t *Tx) DeleteServerCertificate(id string) error {
	if err := t.execOne(qDeleteServerCert, id); err != nil {
		return fmt.Errorf("delete server certificate %s: %w", id, t.classify(err))
	}
	return nil
}

func scanServerCert(s scanner) (*iam.ServerCertificate, error) {
	var c iam.ServerCertificate
	var ud, exp int64
	var tags string
	if err := s.Scan(&c.ID, &c.AccountID, &c.Name, &c.Path, &c.Body, &c.Chain, &c.SealedPrivateKey, &ud, &exp, &tags); err != nil {
		return nil, err
	}
	var err error
	if c.Tags, err = tagsFromDB(tags); err != nil {
		return nil, err
	}
	c.UploadDate = timeFromDB(ud)
	c.Expiration = timeFromDB(exp)
	return &c, nil
}

// --- service-specific credentials

const svcCredCols = `id, account_id, user_id, service_name, service_user, password_hash, status, create_date, expiration_date`

var (
	qCreateSvcCred  = q(`INSERT INTO service_credentials (` + svcCredCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qSvcCred        = q(`SELECT ` + svcCredCols + ` FROM service_credentials WHERE id = ?`)
	qSvcCredsOfUser = q(`SELECT ` + svcCredCols + ` FROM service_credentials WHERE account_id = ? AND user_id = ? ORDER BY create_date, id`)
	qSvcCredsOfAcct = q(`SELECT ` + svcCredCols + ` FROM service_credentials WHERE account_id = ? ORDER BY create_date, id`)
	qUpdateSvcCred  = q(`UPDATE service_credentials SET status = ?, password_hash = ? WHERE id = ?`)
	qDeleteSvcCred  = q(`DELETE FROM service_credentials WHERE id = ?`)
)

func (t *Tx) CreateServiceCredential(c *iam.ServiceCredential) error {
	cd, err := timeToDB(c.CreateDate)
	if err != nil {
		return fmt.Errorf("create service credential %s: %w", c.ID, err)
	}
	exp, err := timeToDB(c.ExpirationDate)
	if err != nil {
		return fmt.Errorf("create service credential %s: %w", c.ID, err)
	}
	if _, err := t.exec(qCreateSvcCred, c.ID, c.AccountID, c.UserID, c.ServiceName, c.UserName, c.PasswordHash,
		c.Status, cd, exp); err != nil {
		return fmt.Errorf("create service credential %s: %w", c.ID, t.classifyRef(err, iam.ErrNotFound))
	}
	return nil
}

func (t *Tx) ServiceCredential(id string) (*iam.ServiceCredential, error) {
	row, err := t.queryRow(qSvcCred, id)
	if err != nil {
		return nil, fmt.Errorf("service credential %s: %w", id, err)
	}
	c, err := scanSvcCred(row)
	if err != nil {
		return nil, fmt.Errorf("service credential %s: %w", id, t.classify(err))
	}
	return c, nil
}

func (t *Tx) ServiceCredentials(accountID, userID string) ([]*iam.ServiceCredential, error) {
	var rows *sql.Rows
	var err error
	if userID == "" {
		rows, err = t.query(qSvcCredsOfAcct, accountID)
	} else {
		rows, err = t.query(qSvcCredsOfUser, accountID, userID)
	}
	if err != nil {
		return nil, fmt.Errorf("list service credentials: %w", err)
	}
	cs, err := collect(rows, scanSvcCred)
	if err != nil {
		return nil, fmt.Errorf("list service credentials: %w", err)
	}
	return cs, nil
}

func (t *Tx) UpdateServiceCredential(c *iam.ServiceCredential) error {
	if err := t.execOne(qUpdateSvcCred, c.Status, c.PasswordHash, c.ID); err != nil {
		return fmt.Errorf("update service credential %s: %w", c.ID, t.classify(err))
	}
	return nil
}

func (t *Tx) DeleteServiceCredential(id string) error {
	if err := t.execOne(qDeleteSvcCred, id); err != nil {
		return fmt.Errorf("delete service credential %s: %w", id, t.classify(err))
	}
	return nil
}

func scanSvcCred(s scanner) (*iam.ServiceCredential, error) {
	var c iam.ServiceCredential
	var cd, exp int64
	if err := s.Scan(&c.ID, &c.AccountID, &c.UserID, &c.ServiceName, &c.UserName, &c.PasswordHash, &c.Status, &cd, &exp); err != nil {
		return nil, err
	}
	c.CreateDate = timeFromDB(cd)
	c.ExpirationDate = timeFromDB(exp)
	return &c, nil
}

// --- account aliases

var (
	qCreateAlias = q(`INSERT INTO account_aliases (alias, account_id) VALUES (?, ?)`)
	qAliases     = q(`SELECT alias FROM account_aliases WHERE account_id = ? ORDER BY alias`)
	qDeleteAlias = q(`DELETE FROM account_aliases WHERE account_id = ? AND alias = ?`)
)

func (t *Tx) CreateAccountAlias(accountID, alias string) error {
	if _, err := t.exec(qCreateAlias, alias, accountID); err != nil {
		return fmt.Errorf("create account alias %s: %w", alias, t.classify(err))
	}
	return nil
}

func (t *Tx) AccountAliases(accountID string) ([]string, error) {
	rows, err := t.query(qAliases, accountID)
	if err != nil {
		return nil, fmt.Errorf("list account aliases: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("list account aliases: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list account aliases: %w", err)
	}
	return out, nil
}

func (t *Tx) DeleteAccountAlias(accountID, alias string) error {
	if err := t.execOne(qDeleteAlias, accountID, alias); err != nil {
		return fmt.Errorf("delete account alias %s: %w", alias, t.classify(err))
	}
	return nil
}
