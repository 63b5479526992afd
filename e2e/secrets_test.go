package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamd/iamd/server"
)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// secretForms returns the encodings a leaked secret could take: plain,
// base64 (standard, URL, unpadded), hex (both cases) and URL-encoded.
func secretForms(secret []byte) map[string][]byte {
	s := string(secret)
	forms := map[string][]byte{
		"plain":       secret,
		"base64":      []byte(base64.StdEncoding.EncodeToString(secret)),
		"base64raw":   []byte(base64.RawStdEncoding.EncodeToString(secret)),
		"base64url":   []byte(base64.RawURLEncoding.EncodeToString(secret)),
		"hex":         []byte(hex.EncodeToString(secret)),
		"HEX":         []byte(strings.ToUpper(hex.EncodeToString(secret))),
		"urlencoded":  []byte(url.QueryEscape(s)),
		"pathescaped": []byte(url.PathEscape(s)),
	}
	return forms
}

type secretSet map[string][]byte // description -> secret bytes

func (ss secretSet) add(t *testing.T, what, secret string) {
	t.Helper()
	if len(secret) < 12 {
		t.Fatalf("%s: secret %q too short to scan for", what, secret)
	}
	ss[what] = []byte(secret)
}

// scan reports every secret found in data, in any of its forms.
func (ss secretSet) scan(t *testing.T, where string, data []byte) {
	t.Helper()
	for what, secret := range ss {
		for form, needle := range secretForms(secret) {
			if bytes.Contains(data, needle) {
				t.Errorf("%s contains %s (%s form)", where, what, form)
			}
		}
	}
}

// TestSecretsNeverAtRestOrInLogs creates every kind of secret iamd hands
// out or receives, then scans the data directory, the logs and the answers
// of the read APIs for them.
func TestSecretsNeverAtRestOrInLogs(t *testing.T) {
	dir := t.TempDir()
	logs := &lockedBuffer{}
	srv, err := server.Start(t.Context(), server.Config{
		Listen: "127.0.0.1:0", DataDir: dir, AccountID: testAccount,
		RootAccessKeyID: rootKeyID, RootSecret: rootSecretKey,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	}
	t.Cleanup(stop)
	s := &testServer{Server: srv, dataDir: dir}
	ctx := t.Context()
	root := s.rootIAM()
	secrets := secretSet{}

	// Access keys.
	must(t)(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("holder")}))
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("holder")})
	if err != nil {
		t.Fatal(err)
	}
	keyID, keySecret := aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
	secrets.add(t, "user secret access key", keySecret)
	rk, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	secrets.add(t, "root secret access key (created)", aws.ToString(rk.AccessKey.SecretAccessKey))
	// Use the key so last-used data is written too.
	holderSTS := s.sts(keyID, keySecret)
	if _, err := holderSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}

	// Login profile password.
	password := "Pw1!" + rand.Text()
	secrets.add(t, "login password", password)
	must(t)(root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("holder"), Password: aws.String(password)}))
	password2 := "Pw2!" + rand.Text()
	secrets.add(t, "updated login password", password2)
	must(t)(root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("holder"), Password: aws.String(password2)}))

	// Virtual MFA seed, enabled with codes computed from it.
	mfa, err := root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("holder-phone")})
	if err != nil {
		t.Fatal(err)
	}
	seed := string(mfa.VirtualMFADevice.Base32StringSeed)
	secrets.add(t, "MFA seed (base32)", seed)
	if raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(seed, "=")); err == nil {
		secrets.add(t, "MFA seed (raw bytes)", string(raw))
	}
	serial := aws.ToString(mfa.VirtualMFADevice.SerialNumber)
	now := time.Now()
	must(t)(root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("holder"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totpCode(t, seed, now.Add(-30*time.Second))), AuthenticationCode2: aws.String(totpCode(t, seed, now))}))
	// An unassigned device keeps its seed too.
	mfa2, err := root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("spare")})
	if err != nil {
		t.Fatal(err)
	}
	secrets.add(t, "unassigned MFA seed", string(mfa2.VirtualMFADevice.Base32StringSeed))

	// Session credentials: GetSessionToken and AssumeRole.
	st, err := holderSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	secrets.add(t, "GetSessionToken secret", aws.ToString(st.Credentials.SecretAccessKey))
	secrets.add(t, "GetSessionToken token", aws.ToString(st.Credentials.SessionToken))
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:user/holder"},"Action":"sts:AssumeRole"}]}`
	role, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Vault"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	ar, err := holderSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("scan")})
	if err != nil {
		t.Fatal(err)
	}
	secrets.add(t, "AssumeRole secret", aws.ToString(ar.Credentials.SecretAccessKey))
	secrets.add(t, "AssumeRole token", aws.ToString(ar.Credentials.SessionToken))
	// The session credentials work (and are used, so their path is logged
	// if anything is).
	sessionSTS := sts.NewFromConfig(s.awsConfig(aws.ToString(ar.Credentials.AccessKeyId), aws.ToString(ar.Credentials.SecretAccessKey), aws.ToString(ar.Credentials.SessionToken)))
	if _, err := sessionSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}

	// Server certificate private key.
	key := pcRSA(2048)
	certPEM, _ := pcCert(t, "secret.example.com", key, nil, nil)
	keyPEM := pcKeyPEM(key)
	must(t)(root.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{ServerCertificateName: aws.String("tls"),
		CertificateBody: aws.String(certPEM), PrivateKey: aws.String(keyPEM)}))
	secrets.add(t, "private key PEM", keyPEM)
	block, _ := pem.Decode([]byte(keyPEM))
	secrets.add(t, "private key DER", string(block.Bytes))
	for i, line := range strings.Split(keyPEM, "\n") {
		if len(line) >= 48 && !strings.HasPrefix(line, "-----") {
			secrets.add(t, "private key PEM line "+string(rune('0'+i%10))+line[:8], line)
		}
	}

	// Service-specific credential password, created and reset.
	sc, err := root.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: aws.String("holder"), ServiceName: aws.String("codecommit.amazonaws.com")})
	if err != nil {
		t.Fatal(err)
	}
	secrets.add(t, "service credential password", aws.ToString(sc.ServiceSpecificCredential.ServicePassword))
	rs, err := root.ResetServiceSpecificCredential(ctx, &iam.ResetServiceSpecificCredentialInput{UserName: aws.String("holder"),
		ServiceSpecificCredentialId: sc.ServiceSpecificCredential.ServiceSpecificCredentialId})
	if err != nil {
		t.Fatal(err)
	}
	secrets.add(t, "reset service credential password", aws.ToString(rs.ServiceSpecificCredential.ServicePassword))

	// Failed authentications with real key IDs and wrong secrets must not
	// log the secrets either.
	_, _ = s.sts(keyID, keySecret[:39]+"x").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})

	// Every read API's answer, raw.
	for _, body := range []string{
		"Action=ListUsers", "Action=GetUser&UserName=holder", "Action=ListAccessKeys&UserName=holder",
		"Action=ListAccessKeys", "Action=GetAccessKeyLastUsed&AccessKeyId=" + keyID, "Action=GetLoginProfile&UserName=holder",
		"Action=ListVirtualMFADevices", "Action=ListVirtualMFADevices&AssignmentStatus=Assigned",
		"Action=ListVirtualMFADevices&AssignmentStatus=Unassigned", "Action=ListMFADevices&UserName=holder",
		"Action=GetMFADevice&SerialNumber=" + url.QueryEscape(serial), "Action=ListMFADeviceTags&SerialNumber=" + url.QueryEscape(serial),
		"Action=ListServerCertificates", "Action=GetServerCertificate&ServerCertificateName=tls",
		"Action=ListServiceSpecificCredentials&UserName=holder", "Action=ListRoles", "Action=GetRole&RoleName=Vault",
		"Action=GetAccountAuthorizationDetails", "Action=GetAccountSummary", "Action=ListSigningCertificates&UserName=holder",
		"Action=ListSSHPublicKeys&UserName=holder", "Action=GetAccountPasswordPolicy",
	} {
		resp, data := s.signedPost(t, "iam", body+"&Version=2010-05-08", nil)
		if resp.StatusCode != 200 && resp.StatusCode != 404 && resp.StatusCode != 501 {
			t.Errorf("%s: status %d\n%s", body, resp.StatusCode, data)
		}
		secrets.scan(t, "answer to "+body, data)
		if strings.HasPrefix(body, "Action=List") && (bytes.Contains(data, []byte("Base32StringSeed")) || bytes.Contains(data, []byte("QRCodePNG"))) {
			t.Errorf("%s returns MFA seeds:\n%s", body, data)
		}
		if strings.Contains(body, "ServerCertificate") && bytes.Contains(data, []byte("PRIVATE KEY")) {
			t.Errorf("%s returns a private key", body)
		}
	}
	for _, body := range []string{"Action=GetCallerIdentity", "Action=GetAccessKeyInfo&AccessKeyId=" + keyID} {
		_, data := s.signedPost(t, "sts", body+"&Version=2011-06-15", nil)
		secrets.scan(t, "answer to "+body, data)
	}

	// The data directory while the server runs (the WAL and shared memory
	// exist only then) and after it stopped (after the final checkpoint).
	scanned := map[string]bool{}
	scanDir(t, dir, "running", secrets, scanned)
	stop()
	scanDir(t, dir, "stopped", secrets, scanned)
	secrets.scan(t, "server logs", logs.Bytes())
	for _, name := range []string{"iamd.db", "iamd.db-wal", "root-credentials"} {
		if !scanned[name] {
			t.Errorf("%s was never scanned (files seen: %v)", name, scanned)
		}
	}
	t.Logf("scanned files %v and %d bytes of logs for %d secrets in %d forms", scanned, len(logs.Bytes()), len(secrets), len(secretForms(nil)))
}

func scanDir(t *testing.T, dir, when string, secrets secretSet, scanned map[string]bool) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "master.key" {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		data, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		scanned[d.Name()] = true
		secrets.scan(t, when+": data file "+d.Name(), data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
