package storetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

// providerCredentialTests check ProviderCredentialTx: federation providers,
// SSH keys, certificates, service-specific credentials and aliases.
var providerCredentialTests = []test{
	{"OIDCProviders", testOIDCProviders},
	{"SAMLProviders", testSAMLProviders},
	{"SSHPublicKeys", testSSHPublicKeys},
	{"SigningCertificates", testSigningCertificates},
	{"ServerCertificates", testServerCertificates},
	{"ServiceCredentials", testServiceCredentials},
	{"AccountAliases", testAccountAliases},
}

// pcNorm returns a copy of v (a pointer to one of this file's entities, or
// a slice of them) with times judged to the second and empty slices nil.
func pcNorm(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		if rv.Len() == 0 {
			return nil
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = pcNorm(rv.Index(i).Interface())
		}
		return out
	}
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return v
	}
	c := reflect.New(rv.Elem().Type()).Elem()
	c.Set(rv.Elem())
	for i := 0; i < c.NumField(); i++ {
		f := c.Field(i)
		switch x := f.Interface().(type) {
		case time.Time:
			f.Set(reflect.ValueOf(normTime(x)))
		default:
			if f.Kind() == reflect.Slice && f.Len() == 0 {
				f.Set(reflect.Zero(f.Type()))
			}
		}
	}
	return c.Addr().Interface()
}

func pcEqual(t *testing.T, call string, got, want any) {
	t.Helper()
	if g, w := pcNorm(got), pcNorm(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s, want %s", call, pcShow(g), pcShow(w))
	}
}

func pcShow(v any) string {
	if s, ok := v.([]any); ok {
		out := "["
		for i, e := range s {
			if i > 0 {
				out += " "
			}
			out += fmt.Sprintf("%+v", e)
		}
		return out + "]"
	}
	return fmt.Sprintf("%+v", v)
}

func testOIDCProviders(t *testing.T, s iam.Store) {
	a := &iam.OIDCProvider{AccountID: accountID(1), URL: "token.example.com/id/A", ClientIDs: []string{"sts.amazonaws.com"},
		Thumbprints: []string{"0123456789abcdef0123456789abcdef01234567"}, CreateDate: at(0), Tags: []iam.Tag{{Key: "k", Value: "v"}}}
	b := &iam.OIDCProvider{AccountID: accountID(1), URL: "accounts.example.com", CreateDate: at(time.Minute)}
	other := &iam.OIDCProvider{AccountID: accountID(2), URL: a.URL, CreateDate: at(0)}
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "CreateOIDCProvider(a)", tx.CreateOIDCProvider(a))
		noErr(t, "CreateOIDCProvider(b)", tx.CreateOIDCProvider(b))
		noErr(t, "CreateOIDCProvider(other account, same URL)", tx.CreateOIDCProvider(other))
		wantErr(t, "CreateOIDCProvider(same URL)", tx.CreateOIDCProvider(&iam.OIDCProvider{AccountID: a.AccountID, URL: a.URL, CreateDate: at(0)}), iam.ErrExists)
		// URLs are compared exactly: another case is another provider.
		noErr(t, "CreateOIDCProvider(other case)", tx.CreateOIDCProvider(&iam.OIDCProvider{AccountID: a.AccountID, URL: "TOKEN.example.com/id/A", CreateDate: at(0)}))
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.OIDCProvider(a.AccountID, a.URL)
		noErr(t, "OIDCProvider(a)", err)
		pcEqual(t, "OIDCProvider(a)", got, a)
		_, err = tx.OIDCProvider(a.AccountID, "missing.example.com")
		wantErr(t, "OIDCProvider(missing)", err, iam.ErrNotFound)
		list, err := tx.OIDCProviders(a.AccountID)
		noErr(t, "OIDCProviders", err)
		if len(list) != 3 || list[0].URL != "TOKEN.example.com/id/A" || list[1].URL != b.URL || list[2].URL != a.URL {
			t.Errorf("OIDCProviders = %s, want ordered by URL", pcShow(pcNorm(list)))
		}
		return nil
	})
	a.ClientIDs = append(a.ClientIDs, "web")
	a.Thumbprints = nil
	a.Tags = nil
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "UpdateOIDCProvider(a)", tx.UpdateOIDCProvider(a))
		wantErr(t, "UpdateOIDCProvider(missing)", tx.UpdateOIDCProvider(&iam.OIDCProvider{AccountID: accountID(3), URL: "x"}), iam.ErrNotFound)
		noErr(t, "DeleteOIDCProvider(b)", tx.DeleteOIDCProvider(b.AccountID, b.URL))
		wantErr(t, "DeleteOIDCProvider(b again)", tx.DeleteOIDCProvider(b.AccountID, b.URL), iam.ErrNotFound)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.OIDCProvider(a.AccountID, a.URL)
		noErr(t, "OIDCProvider(a) after update", err)
		pcEqual(t, "OIDCProvider(a) after update", got, a)
		got, err = tx.OIDCProvider(other.AccountID, other.URL)
		noErr(t, "OIDCProvider(other)", err)
		pcEqual(t, "OIDCProvider(other)", got, other)
		return nil
	})
}

func testSAMLProviders(t *testing.T, s iam.Store) {
	p := &iam.SAMLProvider{ID: "SAML00000000000000000000001", AccountID: accountID(1), Name: "Okta", Metadata: "<md/>",
		CreateDate: at(0), ValidUntil: at(24 * time.Hour), Tags: []iam.Tag{{Key: "k", Value: "v"}}}
	q := &iam.SAMLProvider{ID: "SAML00000000000000000000002", AccountID: accountID(1), Name: "adfs", Metadata: "<md2/>",
		CreateDate: at(time.Minute), AssertionEncryptionMode: "Allowed"}
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "CreateSAMLProvider(p)", tx.CreateSAMLProvider(p))
		noErr(t, "CreateSAMLProvider(q)", tx.CreateSAMLProvider(q))
		dup := *q
		dup.ID, dup.Name = "SAML00000000000000000000003", "OKTA"
		wantErr(t, "CreateSAMLProvider(name in another case)", tx.CreateSAMLProvider(&dup), iam.ErrExists)
		dup.AccountID = accountID(2)
		noErr(t, "CreateSAMLProvider(other account)", tx.CreateSAMLProvider(&dup))
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.SAMLProvider(p.AccountID, "okta")
		noErr(t, "SAMLProvider(okta)", err)
		pcEqual(t, "SAMLProvider(okta)", got, p)
		_, err = tx.SAMLProvider(p.AccountID, "nope")
		wantErr(t, "SAMLProvider(missing)", err, iam.ErrNotFound)
		list, err := tx.SAMLProviders(p.AccountID)
		noErr(t, "SAMLProviders", err)
		pcEqual(t, "SAMLProviders", list, []*iam.SAMLProvider{q, p})
		return nil
	})
	p.Metadata, p.ValidUntil, p.Tags = "<new/>", at(48*time.Hour), nil
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "UpdateSAMLProvider", tx.UpdateSAMLProvider(p))
		wantErr(t, "UpdateSAMLProvider(missing)", tx.UpdateSAMLProvider(&iam.SAMLProvider{ID: "nope"}), iam.ErrNotFound)
		noErr(t, "DeleteSAMLProvider(q)", tx.DeleteSAMLProvider(q.ID))
		wantErr(t, "DeleteSAMLProvider(q again)", tx.DeleteSAMLProvider(q.ID), iam.ErrNotFound)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		list, err := tx.SAMLProviders(p.AccountID)
		noErr(t, "SAMLProviders after update", err)
		pcEqual(t, "SAMLProviders after update", list, []*iam.SAMLProvider{p})
		return nil
	})
}

func testSSHPublicKeys(t *testing.T, s iam.Store) {
	alice, bob := newUser(1, 1, "alice"), newUser(1, 2, "bob")
	create(t, s, newAccount(1), alice, bob)
	key := func(n int, user, fp string, d time.Duration) *iam.SSHPublicKey {
		return &iam.SSHPublicKey{ID: fmt.Sprintf("APKA%017d", n), AccountID: accountID(1), UserID: user,
			Body: "ssh-rsa AAAA" + fp, Fingerprint: fp, Status: iam.StatusActive, UploadDate: at(d)}
	}
	k1, k2, k3 := key(1, alice.ID, "aa", time.Hour), key(2, alice.ID, "bb", 0), key(3, bob.ID, "aa", 0)
	update(t, s, func(tx iam.Tx) error {
		for _, k := range []*iam.SSHPublicKey{k1, k2, k3} {
			noErr(t, "CreateSSHPublicKey("+k.ID+")", tx.CreateSSHPublicKey(k))
		}
		wantErr(t, "CreateSSHPublicKey(same fingerprint, same user)", tx.CreateSSHPublicKey(key(4, alice.ID, "aa", 0)), iam.ErrExists)
		wantErr(t, "CreateSSHPublicKey(taken ID)", tx.CreateSSHPublicKey(key(1, bob.ID, "cc", 0)), iam.ErrExists)
		if err := tx.CreateSSHPublicKey(key(5, userID(9), "dd", 0)); err == nil {
			t.Errorf("CreateSSHPublicKey(missing user) = nil, want an error")
		}
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.SSHPublicKey(k1.ID)
		noErr(t, "SSHPublicKey", err)
		pcEqual(t, "SSHPublicKey", got, k1)
		_, err = tx.SSHPublicKey("APKA-missing")
		wantErr(t, "SSHPublicKey(missing)", err, iam.ErrNotFound)
		list, err := tx.SSHPublicKeys(alice.ID)
		noErr(t, "SSHPublicKeys(alice)", err)
		pcEqual(t, "SSHPublicKeys(alice)", list, []*iam.SSHPublicKey{k2, k1})
		return nil
	})
	k1.Status = iam.StatusInactive
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "UpdateSSHPublicKey", tx.UpdateSSHPublicKey(k1))
		wantErr(t, "UpdateSSHPublicKey(missing)", tx.UpdateSSHPublicKey(key(9, alice.ID, "zz", 0)), iam.ErrNotFound)
		noErr(t, "DeleteSSHPublicKey(k2)", tx.DeleteSSHPublicKey(k2.ID))
		wantErr(t, "DeleteSSHPublicKey(k2 again)", tx.DeleteSSHPublicKey(k2.ID), iam.ErrNotFound)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		list, err := tx.SSHPublicKeys(alice.ID)
		noErr(t, "SSHPublicKeys(alice) after update", err)
		pcEqual(t, "SSHPublicKeys(alice) after update", list, []*iam.SSHPublicKey{k1})
		return nil
	})
	// No key may outlive its user.
	err := s.Update(ctx(t), func(tx iam.Tx) error { return tx.DeleteUser(bob.ID) })
	view(t, s, func(tx iam.Tx) error {
		_, kerr := tx.SSHPublicKey(k3.ID)
		if err == nil && kerr == nil {
			t.Errorf("DeleteUser(bob) succeeded and left his SSH key")
		}
		return nil
	})
}

func testSigningCertificates(t *testing.T, s iam.Store) {
	alice := newUser(1, 1, "alice")
	create(t, s, newAccount(1), newAccount(2), alice)
	cert := func(n, acct int, user, fp string, d time.Duration) *iam.SigningCertificate {
		return &iam.SigningCertificate{ID: fmt.Sprintf("CERT%028d", n), AccountID: accountID(acct), UserID: user,
			Body: "-----BEGIN CERTIFICATE-----" + fp, Fingerprint: fp, Status: iam.StatusActive, UploadDate: at(d)}
	}
	root, c1, c2 := cert(1, 1, "", "r", 0), cert(2, 1, alice.ID, "a", time.Hour), cert(3, 1, alice.ID, "b", 0)
	update(t, s, func(tx iam.Tx) error {
		for _, c := range []*iam.SigningCertificate{root, c1, c2} {
			noErr(t, "CreateSigningCertificate("+c.ID+")", tx.CreateSigningCertificate(c))
		}
		wantErr(t, "CreateSigningCertificate(same certificate in the account)", tx.CreateSigningCertificate(cert(4, 1, "", "a", 0)), iam.ErrExists)
		noErr(t, "CreateSigningCertificate(same certificate, other account)", tx.CreateSigningCertificate(cert(5, 2, "", "a", 0)))
		if err := tx.CreateSigningCertificate(cert(6, 1, userID(9), "z", 0)); err == nil {
			t.Errorf("CreateSigningCertificate(missing user) = nil, want an error")
		}
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.SigningCertificate(root.ID)
		noErr(t, "SigningCertificate(root's)", err)
		pcEqual(t, "SigningCertificate(root's)", got, root)
		list, err := tx.SigningCertificates(accountID(1), "")
		noErr(t, "SigningCertificates(root)", err)
		pcEqual(t, "SigningCertificates(root)", list, []*iam.SigningCertificate{root})
		list, err = tx.SigningCertificates(accountID(1), alice.ID)
		noErr(t, "SigningCertificates(alice)", err)
		pcEqual(t, "SigningCertificates(alice)", list, []*iam.SigningCertificate{c2, c1})
		_, err = tx.SigningCertificate("missing")
		wantErr(t, "SigningCertificate(missing)", err, iam.ErrNotFound)
		return nil
	})
	c1.Status = iam.StatusInactive
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "UpdateSigningCertificate", tx.UpdateSigningCertificate(c1))
		wantErr(t, "UpdateSigningCertificate(missing)", tx.UpdateSigningCertificate(cert(9, 1, "", "q", 0)), iam.ErrNotFound)
		noErr(t, "DeleteSigningCertificate", tx.DeleteSigningCertificate(c2.ID))
		wantErr(t, "DeleteSigningCertificate(again)", tx.DeleteSigningCertificate(c2.ID), iam.ErrNotFound)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		list, err := tx.SigningCertificates(accountID(1), alice.ID)
		noErr(t, "SigningCertificates(alice) after update", err)
		pcEqual(t, "SigningCertificates(alice) after update", list, []*iam.SigningCertificate{c1})
		return nil
	})
}

func testServerCertificates(t *testing.T, s iam.Store) {
	cert := func(n int, name, path string) *iam.ServerCertificate {
		return &iam.ServerCertificate{ID: fmt.Sprintf("ASCA%017d", n), AccountID: accountID(1), Name: name, Path: path,
			Body: "body", Chain: "", SealedPrivateKey: []byte{0, 1, 0xff, byte(n)}, UploadDate: at(0), Expiration: at(time.Duration(n) * time.Hour)}
	}
	a, b, c := cert(1, "alpha", "/"), cert(2, "Beta", "/web/"), cert(3, "gamma", "/web/")
	a.Chain, a.Tags = "chain", []iam.Tag{{Key: "k", Value: "v"}}
	update(t, s, func(tx iam.Tx) error {
		for _, x := range []*iam.ServerCertificate{a, b, c} {
			noErr(t, "CreateServerCertificate("+x.Name+")", tx.CreateServerCertificate(x))
		}
		wantErr(t, "CreateServerCertificate(name in another case)", tx.CreateServerCertificate(cert(4, "ALPHA", "/")), iam.ErrExists)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.ServerCertificate(a.AccountID, "Alpha")
		noErr(t, "ServerCertificate(Alpha)", err)
		pcEqual(t, "ServerCertificate(Alpha)", got, a)
		_, err = tx.ServerCertificate(a.AccountID, "nope")
		wantErr(t, "ServerCertificate(missing)", err, iam.ErrNotFound)
		n, err := tx.CountServerCertificates(a.AccountID)
		if n != 3 || err != nil {
			t.Errorf("CountServerCertificates = %d, %v, want 3", n, err)
		}
		list, err := tx.ServerCertificates(a.AccountID, iam.ListQuery{PathPrefix: "/web/"})
		noErr(t, "ServerCertificates(/web/)", err)
		pcEqual(t, "ServerCertificates(/web/)", list, []*iam.ServerCertificate{b, c})
		list, err = tx.ServerCertificates(a.AccountID, iam.ListQuery{After: "alpha", Limit: 1})
		noErr(t, "ServerCertificates(after alpha, 1)", err)
		pcEqual(t, "ServerCertificates(after alpha, 1)", list, []*iam.ServerCertificate{b})
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		renamed := *c
		renamed.Name = "BETA"
		wantErr(t, "UpdateServerCertificate(onto another name)", tx.UpdateServerCertificate(&renamed), iam.ErrExists)
		renamed.Name, renamed.Path, renamed.Tags = "delta", "/", []iam.Tag{{Key: "x", Value: ""}}
		noErr(t, "UpdateServerCertificate(rename)", tx.UpdateServerCertificate(&renamed))
		*c = renamed
		wantErr(t, "UpdateServerCertificate(missing)", tx.UpdateServerCertificate(cert(9, "zeta", "/")), iam.ErrNotFound)
		noErr(t, "DeleteServerCertificate(b)", tx.DeleteServerCertificate(b.ID))
		wantErr(t, "DeleteServerCertificate(b again)", tx.DeleteServerCertificate(b.ID), iam.ErrNotFound)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		list, err := tx.ServerCertificates(a.AccountID, iam.ListQuery{})
		noErr(t, "ServerCertificates after update", err)
		pcEqual(t, "ServerCertificates after update", list, []*iam.ServerCertificate{a, c})
		return nil
	})
}

func testServiceCredentials(t *testing.T, s iam.Store) {
	alice, bob := newUser(1, 1, "alice"), newUser(1, 2, "bob")
	create(t, s, newAccount(1), alice, bob)
	cred := func(n int, user string, d time.Duration) *iam.ServiceCredential {
		return &iam.ServiceCredential{ID: fmt.Sprintf("ACCA%017d", n), AccountID: accountID(1), UserID: user,
			ServiceName: "codecommit.amazonaws.com", UserName: fmt.Sprintf("u%d-at-%s", n, accountID(1)),
			PasswordHash: "$argon2id$x", Status: iam.StatusActive, CreateDate: at(d)}
	}
	c1, c2, c3 := cred(1, alice.ID, time.Hour), cred(2, bob.ID, 0), cred(3, alice.ID, 0)
	c3.ExpirationDate = at(48 * time.Hour)
	update(t, s, func(tx iam.Tx) error {
		for _, c := range []*iam.ServiceCredential{c1, c2, c3} {
			noErr(t, "CreateServiceCredential("+c.ID+")", tx.CreateServiceCredential(c))
		}
		wantErr(t, "CreateServiceCredential(taken ID)", tx.CreateServiceCredential(cred(1, bob.ID, 0)), iam.ErrExists)
		if err := tx.CreateServiceCredential(cred(4, userID(9), 0)); err == nil {
			t.Errorf("CreateServiceCredential(missing user) = nil, want an error")
		}
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.ServiceCredential(c3.ID)
		noErr(t, "ServiceCredential", err)
		pcEqual(t, "ServiceCredential", got, c3)
		list, err := tx.ServiceCredentials(accountID(1), alice.ID)
		noErr(t, "ServiceCredentials(alice)", err)
		pcEqual(t, "ServiceCredentials(alice)", list, []*iam.ServiceCredential{c3, c1})
		list, err = tx.ServiceCredentials(accountID(1), "")
		noErr(t, "ServiceCredentials(all)", err)
		pcEqual(t, "ServiceCredentials(all)", list, []*iam.ServiceCredential{c2, c3, c1})
		_, err = tx.ServiceCredential("missing")
		wantErr(t, "ServiceCredential(missing)", err, iam.ErrNotFound)
		return nil
	})
	c1.Status, c1.PasswordHash = iam.StatusInactive, "$argon2id$y"
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "UpdateServiceCredential", tx.UpdateServiceCredential(c1))
		wantErr(t, "UpdateServiceCredential(missing)", tx.UpdateServiceCredential(cred(9, alice.ID, 0)), iam.ErrNotFound)
		noErr(t, "DeleteServiceCredential", tx.DeleteServiceCredential(c3.ID))
		wantErr(t, "DeleteServiceCredential(again)", tx.DeleteServiceCredential(c3.ID), iam.ErrNotFound)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		list, err := tx.ServiceCredentials(accountID(1), alice.ID)
		noErr(t, "ServiceCredentials(alice) after update", err)
		pcEqual(t, "ServiceCredentials(alice) after update", list, []*iam.ServiceCredential{c1})
		return nil
	})
}

func testAccountAliases(t *testing.T, s iam.Store) {
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "CreateAccountAlias(1, example)", tx.CreateAccountAlias(accountID(1), "example"))
		wantErr(t, "CreateAccountAlias(2, example)", tx.CreateAccountAlias(accountID(2), "example"), iam.ErrExists)
		noErr(t, "CreateAccountAlias(2, other)", tx.CreateAccountAlias(accountID(2), "other"))
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.AccountAliases(accountID(1))
		if err != nil || !reflect.DeepEqual(got, []string{"example"}) {
			t.Errorf("AccountAliases(1) = %q, %v, want [example]", got, err)
		}
		got, err = tx.AccountAliases(accountID(3))
		if err != nil || len(got) != 0 {
			t.Errorf("AccountAliases(3) = %q, %v, want []", got, err)
		}
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		wantErr(t, "DeleteAccountAlias(1, other)", tx.DeleteAccountAlias(accountID(1), "other"), iam.ErrNotFound)
		noErr(t, "DeleteAccountAlias(1, example)", tx.DeleteAccountAlias(accountID(1), "example"))
		noErr(t, "CreateAccountAlias(3, example)", tx.CreateAccountAlias(accountID(3), "example"))
		return nil
	})
}
