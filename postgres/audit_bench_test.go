package postgres

import (
	"testing"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/sqlstore/storebench"
)

// BenchmarkAuditAppend is storebench's, as on sqlite: AppendAudit per
// event in batches of 64 (one multi-row INSERT each), read events and
// mutations, which PostgreSQL both stores as rows.
func BenchmarkAuditAppend(b *testing.B) {
	storebench.AuditAppends(b, func(b *testing.B) audit.Store { return openTemp(b) })
}

// BenchmarkAuditScanRows is storebench's scan of a trail of rows.
func BenchmarkAuditScanRows(b *testing.B) { storebench.AuditScanRows(b, openTemp(b)) }
