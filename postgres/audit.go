package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/sqlstore"
)

// The audit trail's storage. Several nodes append to one chain, so
// AppendAudit serializes appends with an advisory lock and checks, under
// it, that the records follow the stored head; a writer whose in-memory
// head is stale gets audit.ErrHeadMoved and re-chains its batch. No other
// business rule lives here: the audit package builds, chains, signs and
// verifies the records.

var _ audit.Store = (*DB)(nil)

// head reads the chain head: the last event, or, when every event was
// pruned, the last digest, from which the chain continues.
func head(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int64, []byte, int64, error) {
	var seq int64
	var hash []byte
	err := q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, 0, err
	}
	var dseq int64
	var dhash []byte
	err = q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_digests ORDER BY seq DESC LIMIT 1`).Scan(&dseq, &dhash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, 0, err
	}
	if seq == 0 && dseq > 0 {
		seq, hash = dseq, dhash
	}
	return seq, hash, dseq, nil
}

// AuditHead implements audit.Store.
func (db *DB) AuditHead(ctx context.Context) (int64, []byte, int64, error) {
	if err := db.checkOpen(); err != nil {
		return 0, nil, 0, err
	}
	seq, hash, dseq, err := head(ctx, db.db)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("postgres: audit head: %w", err)
	}
	return seq, hash, dseq, nil
}

// AppendAudit implements audit.Store. Under the audit lock it checks that
// recs continue the stored chain (and that a digest alone is for the
// stored head): otherwise another node appended first and it returns
// audit.ErrHeadMoved without writing anything.
func (db *DB) AppendAudit(ctx context.Context, recs []*audit.Record, d *audit.Digest) (err error) {
	if err := db.checkOpen(); err != nil {
		return err
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("postgres: audit begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockAudit, db.lockKey); err != nil {
		return fmt.Errorf("postgres: audit lock: %w", err)
	}
	seq, hash, dseq, err := head(ctx, tx)
	if err != nil {
		return fmt.Errorf("postgres: audit head: %w", err)
	}
	if hash == nil {
		hash = audit.ZeroHash
	}
	switch {
	case len(recs) > 0:
		if recs[0].Seq != seq+1 || !bytes.Equal(recs[0].PrevHash, hash) {
			return audit.ErrHeadMoved
		}
	case d != nil:
		if d.Seq != seq || !bytes.Equal(d.Hash, hash) || d.Seq <= dseq {
			return audit.ErrHeadMoved
		}
	}
	if len(recs) > 0 {
		// One multi-row INSERT per batch: a round trip per event would make
		// the commit loop, and so every audited request, wait longer.
		const n = sqlstore.AuditColumnCount
		var sb strings.Builder
		sb.WriteString(`INSERT INTO audit_events (` + sqlstore.AuditColumns + `) VALUES `)
		args := make([]any, 0, n*len(recs))
		for i, r := range recs {
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("(")
			for j := range n {
				if j > 0 {
					sb.WriteString(",")
				}
				sb.WriteString("$" + strconv.Itoa(i*n+j+1))
			}
			sb.WriteString(")")
			args = sqlstore.AppendAuditRow(args, r)
		}
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("postgres: audit append: %w", err)
		}
	}
	if d != nil {
		if err := db.sql.AppendAuditDigest(ctx, tx, d); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("postgres: audit commit: %w", err)
	}
	return nil
}

// ScanAudit implements audit.Store: every event is a row.
func (db *DB) ScanAudit(ctx context.Context, q audit.Query, fn func(*audit.Record) error) error {
	if err := db.checkOpen(); err != nil {
		return err
	}
	return db.sql.ScanAudit(ctx, db.db, &q, nil, fn)
}

// AuditDigests implements audit.Store.
func (db *DB) AuditDigests(ctx context.Context) ([]audit.Digest, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	return db.sql.AuditDigests(ctx, db.db)
}

// PruneAudit implements audit.Store.
func (db *DB) PruneAudit(ctx context.Context, through int64) error {
	if err := db.checkOpen(); err != nil {
		return err
	}
	return db.sql.PruneAuditRows(ctx, db.db, through)
}
