package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/sqlstore"
	"github.com/iamd/iamd/sqlstore/storebench"
	"github.com/iamd/iamd/storetest"
)

func openTemp(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
	})
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) iam.Store { return openTemp(t) })
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "iamd.db")
	u := &iam.User{ID: "AIDA00000000000000001", AccountID: "000000000001", Name: "Alice", Path: "/",
		CreateDate: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC), Tags: []iam.Tag{{Key: "k", Value: "v"}}}
	for i := range 3 {
		db, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open #%d = %v", i, err)
		}
		if i == 0 {
			err = db.Update(t.Context(), func(tx iam.Tx) error {
				if err := tx.CreateAccount(&iam.Account{ID: u.AccountID, CreateDate: u.CreateDate}); err != nil {
					return err
				}
				return tx.CreateUser(u)
			})
			if err != nil {
				t.Fatalf("Update = %v", err)
			}
		}
		var got *iam.User
		err = db.View(t.Context(), func(tx iam.Tx) error {
			got, err = tx.User(u.AccountID, "alice")
			return err
		})
		if err != nil {
			t.Fatalf("after Open #%d: User = %v", i, err)
		}
		if got.Name != u.Name || !got.CreateDate.Equal(u.CreateDate) || len(got.Tags) != 1 {
			t.Errorf("after Open #%d: User = %+v, want %+v", i, got, u)
		}
		var version int
		if err := db.r.QueryRowContext(t.Context(), "PRAGMA user_version").Scan(&version); err != nil {
			t.Fatal(err)
		}
		ms, _ := sqlstore.LoadMigrations(migrationFS)
		if version != len(ms) {
			t.Errorf("after Open #%d: user_version = %d, want %d", i, version, len(ms))
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close #%d = %v", i, err)
		}
	}
}

func TestSettings(t *testing.T) {
	db := openTemp(t)
	want := map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL
		"foreign_keys": "1",
		"temp_store":   "2", // MEMORY
		"busy_timeout": "5000",
	}
	for name, w := range want {
		var got string
		if err := db.w.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s = %v", name, err)
		}
		if got != w {
			t.Errorf("writer PRAGMA %s = %s, want %s", name, got, w)
		}
	}
	var qo string
	if err := db.r.QueryRowContext(t.Context(), "PRAGMA query_only").Scan(&qo); err != nil || qo != "1" {
		t.Errorf("reader PRAGMA query_only = %s, %v, want 1", qo, err)
	}
}

func TestOpenNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "iamd.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(t.Context(), "PRAGMA user_version = 1000"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err := Open(t.Context(), path); err == nil {
		db.Close()
		t.Fatalf("Open(schema version 1000) = nil error, want a refusal")
	}
}

func TestOpenMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "iamd.db")
	if db, err := Open(t.Context(), path); err == nil {
		db.Close()
		t.Fatalf("Open(%s) = nil error, want an error", path)
	}
}

func TestOpenOddPath(t *testing.T) {
	// '?' and '#' would end the path in a plain DSN; '%' would be decoded.
	path := filepath.Join(t.TempDir(), "a?b#c%20d e.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%q) = %v", path, err)
	}
	db.Close()
	db, err = Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%q) again = %v", path, err)
	}
	db.Close()
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*")); len(m) == 0 || filepath.Base(m[0]) != filepath.Base(path) {
		t.Errorf("files after Open(%q) = %q, want that file", path, m)
	}
}

// TestParameterNumbering pins the SQLite rule sqlstore.Rebind copies when it
// numbers parameters for PostgreSQL: a bare "?" is one more than the
// largest number used before it in the statement.
func TestParameterNumbering(t *testing.T) {
	var a, b, c string
	err := openTemp(t).r.QueryRowContext(t.Context(), `SELECT ?3, ?, ?2`, "one", "two", "three", "four").Scan(&a, &b, &c)
	if err != nil || a != "three" || b != "four" || c != "two" {
		t.Fatalf("SELECT ?3, ?, ?2 = %q, %q, %q, %v; want three, four, two", a, b, c, err)
	}
	rebound, err := sqlstore.Rebind(`SELECT ?3, ?, ?2`)
	if err != nil || rebound != `SELECT $3, $4, $2` {
		t.Errorf("Rebind = %q, %v; want the same numbers", rebound, err)
	}
}

// TestLoadMigrations checks the embedded files; sqlstore tests the loader.
func TestLoadMigrations(t *testing.T) {
	ms, err := sqlstore.LoadMigrations(migrationFS)
	if err != nil {
		t.Fatalf("LoadMigrations(embedded) = %v", err)
	}
	if len(ms) == 0 {
		t.Fatalf("LoadMigrations(embedded) = no migrations")
	}
}

func TestCloseIdempotent(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	err = db.View(t.Context(), func(iam.Tx) error { return nil })
	if !errors.Is(err, ErrClosed) {
		t.Errorf("View after Close = %v, want %v", err, ErrClosed)
	}
}

func TestCloseDuringUse(t *testing.T) {
	// Close racing with running transactions must neither panic nor race
	// (run with -race); the transactions just fail.
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := 0; ; j++ {
				err := db.Update(t.Context(), func(tx iam.Tx) error {
					return tx.SetMeta(fmt.Sprint(i), fmt.Sprint(j))
				})
				if err == nil {
					err = db.View(t.Context(), func(tx iam.Tx) error {
						_, err := tx.Meta(fmt.Sprint(i))
						return err
					})
				}
				if err != nil {
					return
				}
			}
		})
	}
	time.Sleep(20 * time.Millisecond)
	if err := db.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	wg.Wait()
}

func TestCanceledContext(t *testing.T) {
	db := openTemp(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	called := false
	err := db.Update(ctx, func(tx iam.Tx) error {
		called = true
		return tx.CreateAccount(&iam.Account{ID: "000000000001"})
	})
	if err == nil {
		t.Errorf("Update(canceled context) = nil, want an error")
	}
	if called {
		t.Errorf("Update(canceled context) ran fn")
	}

	// Canceled while fn runs: the transaction must not commit.
	ctx, cancel = context.WithCancel(t.Context())
	err = db.Update(ctx, func(tx iam.Tx) error {
		if err := tx.CreateAccount(&iam.Account{ID: "000000000002"}); err != nil {
			return err
		}
		cancel()
		return nil
	})
	if err == nil {
		t.Errorf("Update(context canceled in fn) = nil, want an error")
	}
	err = db.View(t.Context(), func(tx iam.Tx) error {
		as, err := tx.Accounts()
		if len(as) != 0 {
			t.Errorf("Accounts after canceled Updates = %d accounts, want none", len(as))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The writer connection is free again.
	err = db.Update(t.Context(), func(tx iam.Tx) error {
		return tx.CreateAccount(&iam.Account{ID: "000000000003"})
	})
	if err != nil {
		t.Errorf("Update after canceled ones = %v", err)
	}
}

func TestErrorsKeepCause(t *testing.T) {
	db := openTemp(t)
	u := &iam.User{ID: "AIDA00000000000000001", AccountID: "000000000001", Name: "alice", Path: "/"}
	err := db.Update(t.Context(), func(tx iam.Tx) error {
		if err := tx.CreateUser(u); err != nil {
			return err
		}
		v := *u
		v.ID = "AIDA00000000000000002"
		v.Name = "ALICE"
		return tx.CreateUser(&v)
	})
	if !errors.Is(err, iam.ErrExists) {
		t.Fatalf("CreateUser(duplicate) = %v, want %v", err, iam.ErrExists)
	}
	if !strings.Contains(err.Error(), "create user ALICE") {
		t.Errorf("CreateUser(duplicate) = %q, want the operation and name in it", err)
	}
}

// The benchmarks are storebench's, on a SQLite store; postgres runs the
// same ones.

func benchDB(b *testing.B) *DB {
	db := openTemp(b)
	storebench.Populate(b, db)
	return db
}

// BenchmarkUser is the request hot path: one lookup by name in a View.
func BenchmarkUser(b *testing.B) { storebench.User(b, benchDB(b)) }

// BenchmarkUserParallel is BenchmarkUser from GOMAXPROCS goroutines, which
// share the read pool.
func BenchmarkUserParallel(b *testing.B) { storebench.UserParallel(b, benchDB(b)) }

// BenchmarkListUsers reads one 100-user page, as ListUsers does.
func BenchmarkListUsers(b *testing.B) { storebench.ListUsers(b, benchDB(b)) }

// BenchmarkCreateUser is one committed (fsynced) Update creating a user.
func BenchmarkCreateUser(b *testing.B) { storebench.CreateUser(b, benchDB(b)) }
