package sqlstore

import (
	"fmt"

	"github.com/iamd/iamd/iam"
)

// sealedQueries are the statements of each sealed kind: the columns are
// fixed per kind, so no SQL is assembled at run time.
type sealedQueries struct{ list, replace query }

var sealedSQL = map[iam.SealedKind]sealedQueries{
	iam.SealedAccessKeySecret: {
		q(`SELECT id, sealed_secret FROM access_keys WHERE id > ? ORDER BY id LIMIT ?`),
		q(`UPDATE access_keys SET sealed_secret = ? WHERE id = ? AND sealed_secret = ?`),
	},
	iam.SealedMFASeed: {
		q(`SELECT serial_number, sealed_seed FROM mfa_devices WHERE serial_number > ? ORDER BY serial_number LIMIT ?`),
		q(`UPDATE mfa_devices SET sealed_seed = ? WHERE serial_number = ? AND sealed_seed = ?`),
	},
	iam.SealedServerCertKey: {
		q(`SELECT id, sealed_private_key FROM server_certificates WHERE id > ? ORDER BY id LIMIT ?`),
		q(`UPDATE server_certificates SET sealed_private_key = ? WHERE id = ? AND sealed_private_key = ?`),
	},
}

func (t *Tx) SealedValues(kind iam.SealedKind, after string, limit int) ([]iam.SealedValue, error) {
	qs, ok := sealedSQL[kind]
	if !ok || limit <= 0 {
		return nil, fmt.Errorf("sealed values %q (limit %d): unknown kind or bad limit", kind, limit)
	}
	rows, err := t.query(qs.list, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sealed values %s: %w", kind, err)
	}
	defer rows.Close()
	var out []iam.SealedValue
	for rows.Next() {
		var v iam.SealedValue
		if err := rows.Scan(&v.Owner, &v.Sealed); err != nil {
			return nil, fmt.Errorf("sealed values %s: %w", kind, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sealed values %s: %w", kind, err)
	}
	return out, nil
}

func (t *Tx) ReplaceSealed(kind iam.SealedKind, owner string, old, sealed []byte) (bool, error) {
	qs, ok := sealedSQL[kind]
	if !ok {
		return false, fmt.Errorf("replace sealed %q: unknown kind", kind)
	}
	res, err := t.exec(qs.replace, sealed, owner, old)
	if err != nil {
		return false, fmt.Errorf("replace sealed %s %s: %w", kind, owner, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("replace sealed %s %s: %w", kind, owner, err)
	}
	return n == 1, nil
}
