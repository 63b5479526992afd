package postgres

import (
	"testing"

	"github.com/iamd/iamd/sqlstore/storebench"
)

// The benchmarks are storebench's, as on sqlite, on a schema of their own.
// Their wall clock includes the server's round trips; allocations per
// operation are the client's own cost.

func benchDB(b *testing.B) *DB {
	db := openTemp(b)
	storebench.Populate(b, db)
	return db
}

// BenchmarkUser is one lookup by name in a View, as sign-in and GetUser do.
func BenchmarkUser(b *testing.B) { storebench.User(b, benchDB(b)) }

// BenchmarkUserParallel is BenchmarkUser from GOMAXPROCS goroutines, which
// share the pool.
func BenchmarkUserParallel(b *testing.B) { storebench.UserParallel(b, benchDB(b)) }

// BenchmarkListUsers reads one 100-user page, as ListUsers does.
func BenchmarkListUsers(b *testing.B) { storebench.ListUsers(b, benchDB(b)) }

// BenchmarkCreateUser is one committed Update creating a user: the write
// lock, the savepoint and the insert.
func BenchmarkCreateUser(b *testing.B) { storebench.CreateUser(b, benchDB(b)) }
