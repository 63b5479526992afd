package iam_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/keyring"
	"github.com/iamd/iamd/sqlite"
)

// rekeyEnv is a database holding sealed values of every kind, and the
// master key file they were sealed with.
type rekeyEnv struct {
	db      *sqlite.DB
	keyFile string
	kr      *keyring.Keyring
	plain   map[string]string // owner -> plaintext
	kinds   map[string]iam.SealedKind
}

func newRekeyEnv(t *testing.T, keys, devices, certs int) *rekeyEnv {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &rekeyEnv{db: db, keyFile: filepath.Join(dir, "master.key"), plain: map[string]string{}, kinds: map[string]iam.SealedKind{}}
	if e.kr, _, err = keyring.LoadOrCreate(e.keyFile, true); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	err = db.Update(t.Context(), func(tx iam.Tx) error {
		if err := tx.CreateAccount(&iam.Account{ID: account, CreateDate: now}); err != nil {
			return err
		}
		for i := range keys {
			id := fmt.Sprintf("AKIAREKEY%011d", i)
			e.add(iam.SealedAccessKeySecret, id)
			if err := tx.CreateAccessKey(&iam.AccessKey{ID: id, AccountID: account, Status: iam.StatusActive, CreateDate: now,
				SealedSecret: e.kr.Seal([]byte(e.plain[id]), []byte(id))}); err != nil {
				return err
			}
		}
		for i := range devices {
			serial := fmt.Sprintf("arn:aws:iam::%s:mfa/dev%d", account, i)
			e.add(iam.SealedMFASeed, serial)
			if err := tx.CreateMFADevice(&iam.MFADevice{SerialNumber: serial, AccountID: account, Name: fmt.Sprintf("dev%d", i), Path: "/",
				CreateDate: now, SealedSeed: e.kr.Seal([]byte(e.plain[serial]), []byte(serial))}); err != nil {
				return err
			}
		}
		for i := range certs {
			id := fmt.Sprintf("ASCAREKEY%012d", i)
			e.add(iam.SealedServerCertKey, id)
			if err := tx.CreateServerCertificate(&iam.ServerCertificate{ID: id, AccountID: account, Name: fmt.Sprintf("c%d", i), Path: "/",
				Body: "body", UploadDate: now, Expiration: now.Add(time.Hour),
				SealedPrivateKey: e.kr.Seal([]byte(e.plain[id]), []byte(id))}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *rekeyEnv) add(kind iam.SealedKind, owner string) {
	e.plain[owner] = "secret of " + owner
	e.kinds[owner] = kind
}

// check opens every stored value with a fresh keyring from the key file
// and compares it with what was sealed; it returns the counts by key ID.
func (e *rekeyEnv) check(t *testing.T) iam.SealedCounts {
	t.Helper()
	kr, err := keyring.Load(e.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	err = e.db.View(t.Context(), func(tx iam.Tx) error {
		for _, kind := range iam.SealedKinds {
			vals, err := tx.SealedValues(kind, "", 1000)
			if err != nil {
				return err
			}
			for _, v := range vals {
				seen++
				got, err := kr.Open(v.Sealed, []byte(v.Owner))
				if err != nil || string(got) != e.plain[v.Owner] {
					t.Errorf("%s %s opens to %q, %v; want %q", kind, v.Owner, got, err, e.plain[v.Owner])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != len(e.plain) {
		t.Errorf("found %d sealed values, want %d", seen, len(e.plain))
	}
	counts, err := iam.CountSealed(t.Context(), e.db, 4)
	if err != nil {
		t.Fatal(err)
	}
	return counts
}

func TestRekey(t *testing.T) {
	e := newRekeyEnv(t, 7, 4, 2)
	if c := e.check(t); c.Total(1) != 13 {
		t.Fatalf("before rotation: key 1 seals %d values, want 13", c.Total(1))
	}
	if _, err := keyring.AddKey(e.keyFile, time.Now()); err != nil {
		t.Fatal(err)
	}
	kr, err := keyring.Load(e.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	res, err := iam.Rekey(t.Context(), e.db, kr, iam.RekeyOptions{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	// 7 keys: 3 batches; 4 devices: 2; 2 certificates: 1; then a pass
	// that finds nothing more.
	if res.Resealed != 13 || res.Passes != 2 || res.Batches != 12 || len(res.Unopenable) != 0 {
		t.Errorf("Rekey = %+v, want 13 resealed in 2 passes of 6 batches", res)
	}
	c := e.check(t)
	if c.Total(1) != 0 || c.Total(2) != 13 {
		t.Errorf("after rotation: counts %v, want all 13 under key 2", c)
	}
	if c[2][iam.SealedAccessKeySecret] != 7 || c[2][iam.SealedMFASeed] != 4 || c[2][iam.SealedServerCertKey] != 2 {
		t.Errorf("counts by kind = %v", c[2])
	}
	res, err = iam.Rekey(t.Context(), e.db, kr, iam.RekeyOptions{})
	if err != nil || res.Resealed != 0 || res.Passes != 1 {
		t.Errorf("second Rekey = %+v, %v; want nothing to do", res, err)
	}
}

func TestRekeyInterruptedThenResumed(t *testing.T) {
	e := newRekeyEnv(t, 9, 3, 1)
	if _, err := keyring.AddKey(e.keyFile, time.Now()); err != nil {
		t.Fatal(err)
	}
	kr, _ := keyring.Load(e.keyFile)
	crash := errors.New("simulated crash")
	_, err := iam.Rekey(t.Context(), e.db, kr, iam.RekeyOptions{BatchSize: 2, AfterBatch: func(n int) error {
		if n == 3 {
			return crash
		}
		return nil
	}})
	if !errors.Is(err, crash) {
		t.Fatalf("Rekey with a crash after 3 batches = %v", err)
	}
	c := e.check(t) // every value still opens
	if c.Total(2) != 6 || c.Total(1) != 7 {
		t.Fatalf("after the crash: counts %v, want 6 under key 2 and 7 under key 1", c)
	}
	kr2, _ := keyring.Load(e.keyFile) // a new process
	res, err := iam.Rekey(t.Context(), e.db, kr2, iam.RekeyOptions{BatchSize: 2})
	if err != nil || res.Resealed != 7 {
		t.Fatalf("resumed Rekey = %+v, %v; want the 7 remaining resealed", res, err)
	}
	if c := e.check(t); c.Total(1) != 0 || c.Total(2) != 13 {
		t.Errorf("after resuming: counts %v", c)
	}
}

// racingStore changes one value right before Rekey replaces it, as a
// concurrent request (say, a preset root key replaced at start) would.
type racingStore struct {
	iam.Store
	owner string
	write func(tx iam.Tx)
	done  bool
}

func (s *racingStore) Update(ctx context.Context, fn func(iam.Tx) error) error {
	return s.Store.Update(ctx, func(tx iam.Tx) error { return fn(&racingTx{Tx: tx, s: s}) })
}

type racingTx struct {
	iam.Tx
	s *racingStore
}

func (tx *racingTx) ReplaceSealed(kind iam.SealedKind, owner string, old, sealed []byte) (bool, error) {
	if owner == tx.s.owner && !tx.s.done {
		tx.s.done = true
		tx.s.write(tx.Tx)
	}
	return tx.Tx.ReplaceSealed(kind, owner, old, sealed)
}

func TestRekeyKeepsConcurrentWrite(t *testing.T) {
	e := newRekeyEnv(t, 3, 0, 0)
	owner := "AKIAREKEY00000000001"
	old := e.kr // still sealing with key 1, like a server that has not reloaded
	if _, err := keyring.AddKey(e.keyFile, time.Now()); err != nil {
		t.Fatal(err)
	}
	kr, _ := keyring.Load(e.keyFile)
	rs := &racingStore{Store: e.db, owner: owner, write: func(tx iam.Tx) {
		vals, _ := tx.SealedValues(iam.SealedAccessKeySecret, "", 10)
		for _, v := range vals {
			if v.Owner == owner {
				if ok, err := tx.ReplaceSealed(iam.SealedAccessKeySecret, owner, v.Sealed, old.Seal([]byte("changed"), []byte(owner))); !ok || err != nil {
					t.Errorf("concurrent write: %v, %v", ok, err)
				}
			}
		}
	}}
	e.plain[owner] = "changed"
	res, err := iam.Rekey(t.Context(), rs, kr, iam.RekeyOptions{BatchSize: 10})
	if err != nil || res.Resealed != 3 || res.Passes != 3 {
		t.Errorf("Rekey = %+v, %v; want 2 resealed in pass 1, the changed value in pass 2, nothing in pass 3", res, err)
	}
	if c := e.check(t); c.Total(1) != 0 {
		t.Errorf("counts %v: the concurrently written value was not re-encrypted", c)
	}
}

func TestRekeyReportsUnopenable(t *testing.T) {
	e := newRekeyEnv(t, 2, 1, 0)
	other, _, _ := keyring.Generate() // a key that is not in the file
	bad := "arn:aws:iam::" + account + ":mfa/dev0"
	err := e.db.Update(t.Context(), func(tx iam.Tx) error {
		vals, _ := tx.SealedValues(iam.SealedMFASeed, "", 10)
		_, err := tx.ReplaceSealed(iam.SealedMFASeed, bad, vals[0].Sealed, append([]byte{1, 0, 0, 0, 9}, other.Seal([]byte("x"), []byte(bad))[5:]...))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.AddKey(e.keyFile, time.Now()); err != nil {
		t.Fatal(err)
	}
	kr, _ := keyring.Load(e.keyFile)
	res, err := iam.Rekey(t.Context(), e.db, kr, iam.RekeyOptions{})
	if err != nil || res.Resealed != 2 || len(res.Unopenable) != 1 || res.Unopenable[0] != "mfa "+bad {
		t.Fatalf("Rekey = %+v, %v; want 2 resealed and the MFA seed reported", res, err)
	}
	c, _ := iam.CountSealed(t.Context(), e.db, 0)
	if c.Total(9) != 1 || c.Total(2) != 2 {
		t.Errorf("counts = %v; the unopenable value must be left as it was", c)
	}
}

func TestRotationTarget(t *testing.T) {
	e := newRekeyEnv(t, 0, 0, 0)
	ctx := t.Context()
	for _, want := range []uint32{0, 7, 0} {
		if want != 0 {
			if err := iam.SetRotationTarget(ctx, e.db, want); err != nil {
				t.Fatal(err)
			}
		} else if err := iam.SetRotationTarget(ctx, e.db, 0); err != nil {
			t.Fatal(err)
		}
		if got, err := iam.RotationTarget(ctx, e.db); got != want || err != nil {
			t.Errorf("RotationTarget = %d, %v; want %d", got, err, want)
		}
	}
}
