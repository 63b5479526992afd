package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/pquerna/otp/totp"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/keyring"
	"github.com/iamd/iamd/server"
	"github.com/iamd/iamd/sqlite"
)

const (
	rotAccount = "123456789012"
	rotRootKey = "AKIAROTATIONTEST0001"
	rotRootSec = "rotationTestRootSecretKey0000000000000000"
)

// testClock is the servers' clock: MFA codes are spent once per 30-second
// step, so the test moves it on instead of sleeping.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type rotServer struct {
	*server.Server
}

func startRotServer(t *testing.T, dir string, clock *testClock) *rotServer {
	t.Helper()
	srv, err := server.Start(t.Context(), server.Config{
		Listen: "127.0.0.1:0", DataDir: dir, AccountID: rotAccount, RootAccessKeyID: rotRootKey, RootSecret: rotRootSec,
		Clock:  clock.Now,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatalf("server.Start: %v", err)
	}
	s := &rotServer{srv}
	t.Cleanup(func() { s.stop(t) })
	return s
}

func (s *rotServer) stop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

func (s *rotServer) cfg(id, secret, token string) aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(id, secret, token),
		BaseEndpoint: aws.String(s.Endpoint()), HTTPClient: http.DefaultClient}
}

func (s *rotServer) iam() *awsiam.Client {
	return awsiam.NewFromConfig(s.cfg(rotRootKey, rotRootSec, ""))
}
func (s *rotServer) sts(id, secret, token string) *sts.Client {
	return sts.NewFromConfig(s.cfg(id, secret, token))
}

// fixture is everything the rotation must preserve.
type rotFixture struct {
	keys     map[string]string // access key ID -> secret, one per user
	users    map[string]string // access key ID -> user name
	devices  map[string]string // user name -> MFA serial
	seeds    map[string]string // serial -> base32 seed
	certID   string
	certKey  string // PEM private key
	session  [3]string
	sessUser string
}

func populate(t *testing.T, s *rotServer, clock *testClock) *rotFixture {
	ctx := t.Context()
	c := s.iam()
	f := &rotFixture{keys: map[string]string{}, users: map[string]string{}, devices: map[string]string{}, seeds: map[string]string{}}
	for i := range 7 {
		name := fmt.Sprintf("user%d", i)
		if _, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		k, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(k.AccessKey.AccessKeyId)
		f.keys[id], f.users[id] = aws.ToString(k.AccessKey.SecretAccessKey), name
		if i >= 3 {
			continue
		}
		d, err := c.CreateVirtualMFADevice(ctx, &awsiam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("mfa-" + name)})
		if err != nil {
			t.Fatal(err)
		}
		serial, seed := aws.ToString(d.VirtualMFADevice.SerialNumber), string(d.VirtualMFADevice.Base32StringSeed)
		now := clock.Now()
		if _, err := c.EnableMFADevice(ctx, &awsiam.EnableMFADeviceInput{UserName: aws.String(name), SerialNumber: aws.String(serial),
			AuthenticationCode1: aws.String(code(t, seed, now.Add(-30*time.Second))), AuthenticationCode2: aws.String(code(t, seed, now))}); err != nil {
			t.Fatal(err)
		}
		f.devices[name], f.seeds[serial] = serial, seed
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "www.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	f.certKey = string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	up, err := c.UploadServerCertificate(ctx, &awsiam.UploadServerCertificateInput{ServerCertificateName: aws.String("www"),
		CertificateBody: aws.String(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))), PrivateKey: aws.String(f.certKey)})
	if err != nil {
		t.Fatal(err)
	}
	f.certID = aws.ToString(up.ServerCertificateMetadata.ServerCertificateId)
	// A session minted before the rotation, by a user without MFA.
	for id, name := range f.users {
		if name == "user5" {
			out, err := s.sts(id, f.keys[id], "").GetSessionToken(ctx, &sts.GetSessionTokenInput{})
			if err != nil {
				t.Fatal(err)
			}
			cr := out.Credentials
			f.session = [3]string{aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)}
			f.sessUser = name
		}
	}
	return f
}

func code(t *testing.T, seed string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(seed, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// verifyAll checks, through the server, that every access key still
// signs (SigV4), every MFA device still verifies a fresh code, and the
// session minted before the rotation still works.
func (f *rotFixture) verifyAll(t *testing.T, s *rotServer, clock *testClock) {
	t.Helper()
	ctx := t.Context()
	clock.Add(time.Minute) // a fresh TOTP step for every device
	for id, secret := range f.keys {
		out, err := s.sts(id, secret, "").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Errorf("access key of %s: GetCallerIdentity: %v", f.users[id], err)
			continue
		}
		if want := "arn:aws:iam::" + rotAccount + ":user/" + f.users[id]; aws.ToString(out.Arn) != want {
			t.Errorf("access key of %s authenticates as %s", f.users[id], aws.ToString(out.Arn))
		}
		serial := f.devices[f.users[id]]
		if serial == "" {
			continue
		}
		if _, err := s.sts(id, secret, "").GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial),
			TokenCode: aws.String(code(t, f.seeds[serial], clock.Now()))}); err != nil {
			t.Errorf("MFA device %s: GetSessionToken with a valid code: %v", serial, err)
		}
		if _, err := s.sts(id, secret, "").GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial),
			TokenCode: aws.String("000000")}); err == nil {
			t.Errorf("MFA device %s accepted a wrong code", serial)
		}
	}
	out, err := s.sts(f.session[0], f.session[1], f.session[2]).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(out.Arn), ":user/"+f.sessUser) {
		t.Errorf("session minted before the rotation: GetCallerIdentity = %v, %v", out, err)
	}
}

// sealedWith returns the key ID that seals one stored value, read from the
// database as a separate process would.
func sealedWith(t *testing.T, dir string, kind iam.SealedKind, owner string) uint32 {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id uint32
	err = db.View(t.Context(), func(tx iam.Tx) error {
		vals, err := tx.SealedValues(kind, "", 1000)
		for _, v := range vals {
			if v.Owner == owner {
				id, _ = keyring.KeyID(v.Sealed)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func keysRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(t.Context(), append([]string{"keys"}, args...), func(string) string { return "" }, &out, io.Discard)
	return out.String(), err
}

// TestKeysRotateWithRestart is the master-key rotation scenario of issue
// 6: a rotation interrupted after a few batches while a server runs, a
// restart, the rotation run again; nothing is lost at any point.
func TestKeysRotateWithRestart(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: time.Now().UTC()}
	s := startRotServer(t, dir, clock)
	f := populate(t, s, clock)
	ctx := t.Context()

	crash := errors.New("simulated crash")
	rekeyAfterBatch = func(n int) error {
		if n == 3 {
			return crash
		}
		return nil
	}
	t.Cleanup(func() { rekeyAfterBatch = nil })
	out, err := keysRun(t, "rotate", "--data-dir", dir, "--batch-size", "2", "--settle", "0s")
	if !errors.Is(err, crash) || !strings.Contains(out, "added key 2") {
		t.Fatalf("interrupted rotate = %v\n%s", err, out)
	}
	rekeyAfterBatch = nil

	// The running server follows: it meets values sealed with key 2 when
	// it applies the change feed, loads the key, and keeps serving.
	if err := s.Service.Sync(ctx); err != nil {
		t.Fatalf("server Sync after a partial rotation: %v", err)
	}
	f.verifyAll(t, s, clock)
	resealed := 0
	for id := range f.keys {
		if sealedWith(t, dir, iam.SealedAccessKeySecret, id) == 2 {
			resealed++
		}
	}
	if resealed == 0 || resealed == len(f.keys) {
		t.Errorf("after the interruption %d of %d user keys are sealed with key 2; want some, not all", resealed, len(f.keys))
	}
	// New secrets the running server seals use the new key.
	k, err := s.iam().CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("user6")})
	if err != nil {
		t.Fatal(err)
	}
	newID := aws.ToString(k.AccessKey.AccessKeyId)
	if got := sealedWith(t, dir, iam.SealedAccessKeySecret, newID); got != 2 {
		t.Errorf("access key created during the rotation is sealed with key %d, want 2", got)
	}
	f.keys[newID], f.users[newID] = aws.ToString(k.AccessKey.SecretAccessKey), "user6"
	sess, err := s.sts(rotRootKey, rotRootSec, "").GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(sess.Credentials.SessionToken))
	if id, _ := keyring.KeyID(raw); id != 2 {
		t.Errorf("session token minted during the rotation is sealed with key %d, want 2", id)
	}

	// Restart the server, then finish the rotation while it runs.
	s.stop(t)
	s = startRotServer(t, dir, clock)
	f.verifyAll(t, s, clock)
	// While the rotation runs (slowed down between batches), clients keep
	// signing with every key and the server keeps applying the resealed
	// values: no request may fail.
	rekeyAfterBatch = func(int) error { time.Sleep(20 * time.Millisecond); return nil }
	stop, hammered := make(chan struct{}), make(chan [2]int)
	go func() {
		calls, failures := 0, 0
		for {
			select {
			case <-stop:
				hammered <- [2]int{calls, failures}
				return
			default:
			}
			time.Sleep(5 * time.Millisecond) // leave the CPU to the rotation too
			if err := s.Service.Sync(ctx); err != nil {
				t.Errorf("server Sync during the rotation: %v", err)
				failures++
			}
			for id, secret := range f.keys {
				calls++
				if _, err := s.sts(id, secret, "").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
					t.Errorf("during the rotation: access key of %s: %v", f.users[id], err)
					failures++
				}
			}
		}
	}()
	out, err = keysRun(t, "rotate", "--data-dir", dir, "--batch-size", "2", "--settle", "0s")
	close(stop)
	h := <-hammered
	t.Logf("during the rotation: %d signed calls, %d failures", h[0], h[1])
	if h[0] < len(f.keys) || h[1] != 0 {
		t.Errorf("during the rotation: %d calls, %d failures; want some calls and no failure", h[0], h[1])
	}
	rekeyAfterBatch = nil
	if err != nil || !strings.Contains(out, "resuming the unfinished rotation to key 2") || !strings.Contains(out, "done:") {
		t.Fatalf("resumed rotate = %v\n%s", err, out)
	}
	if err := s.Service.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	f.verifyAll(t, s, clock)

	// The certificate's private key, which no API returns, opens to what
	// was uploaded, with the new key.
	if got := sealedWith(t, dir, iam.SealedServerCertKey, f.certID); got != 2 {
		t.Errorf("certificate key sealed with key %d, want 2", got)
	}
	kr, err := keyring.Load(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	_ = db.View(ctx, func(tx iam.Tx) error {
		vals, _ := tx.SealedValues(iam.SealedServerCertKey, "", 10)
		if len(vals) != 1 {
			t.Fatalf("certificates: %d", len(vals))
		}
		pt, err := kr.Open(vals[0].Sealed, []byte(f.certID))
		if err != nil || string(pt) != f.certKey {
			t.Errorf("certificate private key after rotation: %v (matches: %v)", err, string(pt) == f.certKey)
		}
		return nil
	})
	db.Close()

	out, err = keysRun(t, "status", "--data-dir", dir)
	if err != nil || !regexp.MustCompile(`(?m)^1\s+-\s+old\s+0\s*$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^2\s+\S+Z\s+current\s+13\s+9 access keys, 3 MFA seeds, 1 certificate keys\s*$`).MatchString(out) ||
		strings.Contains(out, "unfinished") {
		t.Fatalf("status after the rotation = %v\n%s", err, out)
	}

	// Sessions sealed with key 1 may live 36 hours: prune waits for that.
	out, err = keysRun(t, "prune", "--data-dir", dir)
	if err == nil || !strings.Contains(out, "kept key 1 stopped sealing at") {
		t.Fatalf("prune right after the rotation = %v\n%s; want a refusal", err, out)
	}
	keysNow = func() time.Time { return time.Now().Add(iam.MaxSessionLifetime + time.Minute) }
	t.Cleanup(func() { keysNow = time.Now })
	out, err = keysRun(t, "prune", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "removed key 1") {
		t.Fatalf("prune 36 h later = %v\n%s", err, out)
	}
	keys, err := keyring.ReadFile(filepath.Join(dir, "master.key"))
	if err != nil || len(keys) != 1 || keys[0].ID != 2 {
		t.Fatalf("key file after prune: %v, %v", keys, err)
	}
	// The server still works with the pruned file once it reloads it.
	if err := s.Service.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	cr := sess.Credentials
	if _, err := s.sts(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)).
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("after prune: session sealed with key 2: %v", err)
	}
	for id, secret := range f.keys {
		if _, err := s.sts(id, secret, "").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Errorf("after prune: access key of %s: %v", f.users[id], err)
		}
	}
	out, err = keysRun(t, "prune", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "nothing to prune") {
		t.Errorf("second prune = %v\n%s", err, out)
	}
}

// TestKeysPruneRefusesWhileSecretsUseKey: an old key that still seals a
// stored secret is never removed, however old.
func TestKeysPruneRefusesWhileSecretsUseKey(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: time.Now().UTC()}
	s := startRotServer(t, dir, clock)
	s.stop(t)
	if out, err := keysRun(t, "rotate", "--data-dir", dir, "--add-only"); err != nil || !strings.Contains(out, "added key 2") {
		t.Fatalf("rotate --add-only = %v\n%s", err, out)
	}
	keysNow = func() time.Time { return time.Now().Add(100 * time.Hour) }
	t.Cleanup(func() { keysNow = time.Now })
	out, err := keysRun(t, "prune", "--data-dir", dir)
	if err == nil || !strings.Contains(out, "unfinished") && !strings.Contains(err.Error(), "unfinished") {
		t.Fatalf("prune during an unfinished rotation = %v\n%s; want a refusal", err, out)
	}
	out, err = keysRun(t, "status", "--data-dir", dir)
	if err != nil || !regexp.MustCompile(`(?m)^1\s+-\s+old\s+1\s+1 access keys`).MatchString(out) || !strings.Contains(out, "rotation to key 2 unfinished") {
		t.Fatalf("status = %v\n%s", err, out)
	}
	out, err = keysRun(t, "rotate", "--data-dir", dir, "--settle", "0s")
	if err != nil || !strings.Contains(out, "resuming") || !strings.Contains(out, "re-encrypted 1 stored secrets") {
		t.Fatalf("rotate after --add-only = %v\n%s", err, out)
	}
	if out, err := keysRun(t, "prune", "--data-dir", dir); err != nil || !strings.Contains(out, "removed key 1") {
		t.Fatalf("prune = %v\n%s", err, out)
	}
}

func TestKeysUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no subcommand", nil},
		{"unknown subcommand", []string{"spin"}},
		{"no key file", []string{"status", "--data-dir", dir}},
		{"extra argument", []string{"status", "--data-dir", dir, "now"}},
	} {
		if out, err := keysRun(t, tc.args...); err == nil {
			t.Errorf("keys %v succeeded:\n%s", tc.args, out)
		}
	}
}
