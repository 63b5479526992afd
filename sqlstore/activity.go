package sqlstore

import (
	"fmt"
	"time"

	"github.com/iamd/iamd/iam"
)

var (
	qPutAccess = q(`INSERT INTO service_access (account_id, entity_arn, principal_arn, action, time, region)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id, entity_arn, principal_arn, action) DO UPDATE
		SET time = excluded.time, region = excluded.region WHERE excluded.time > service_access.time`)
	qAccess = q(`SELECT principal_arn, action, time, region FROM service_access
		WHERE account_id = ? AND entity_arn = ?`)
	qPutReport = q(`INSERT INTO reports (id, account_id, kind, created, body) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, kind = excluded.kind,
		created = excluded.created, body = excluded.body`)
	qReport              = q(`SELECT account_id, kind, created, body FROM reports WHERE id = ?`)
	qDeleteReportsBefore = q(`DELETE FROM reports WHERE created < ?`)
)

func (t *Tx) PutServiceAccess(recs []iam.ServiceAccess) error {
	for _, r := range recs {
		at, err := timeToDB(r.Time)
		if err != nil {
			return fmt.Errorf("put service access %s: %w", r.EntityARN, err)
		}
		if _, err := t.exec(qPutAccess, r.AccountID, r.EntityARN, r.PrincipalARN, r.Action, at, r.Region); err != nil {
			return fmt.Errorf("put service access %s: %w", r.EntityARN, t.classify(err))
		}
	}
	return nil
}

func (t *Tx) ServiceAccess(accountID, entityARN string) ([]iam.ServiceAccess, error) {
	rows, err := t.query(qAccess, accountID, entityARN)
	if err != nil {
		return nil, fmt.Errorf("service access %s: %w", entityARN, err)
	}
	defer rows.Close()
	var out []iam.ServiceAccess
	for rows.Next() {
		r := iam.ServiceAccess{AccountID: accountID, EntityARN: entityARN}
		var at int64
		if err := rows.Scan(&r.PrincipalARN, &r.Action, &at, &r.Region); err != nil {
			return nil, fmt.Errorf("service access %s: %w", entityARN, err)
		}
		r.Time = timeFromDB(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("service access %s: %w", entityARN, err)
	}
	return out, nil
}

func (t *Tx) PutReport(r *iam.Report) error {
	c, err := timeToDB(r.Created)
	if err != nil {
		return fmt.Errorf("put report %s: %w", r.ID, err)
	}
	body := r.Body
	if body == nil {
		body = []byte{}
	}
	if _, err := t.exec(qPutReport, r.ID, r.AccountID, r.Kind, c, body); err != nil {
		return fmt.Errorf("put report %s: %w", r.ID, t.classify(err))
	}
	return nil
}

func (t *Tx) Report(id string) (*iam.Report, error) {
	row, err := t.queryRow(qReport, id)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", id, err)
	}
	r := &iam.Report{ID: id}
	var c int64
	if err := row.Scan(&r.AccountID, &r.Kind, &c, &r.Body); err != nil {
		return nil, fmt.Errorf("report %s: %w", id, t.classify(err))
	}
	r.Created = timeFromDB(c)
	return r, nil
}

func (t *Tx) DeleteReportsBefore(before time.Time) error {
	c, err := timeToDB(before)
	if err != nil {
		return fmt.Errorf("delete reports: %w", err)
	}
	if _, err := t.exec(qDeleteReportsBefore, c); err != nil {
		return fmt.Errorf("delete reports: %w", t.classify(err))
	}
	return nil
}
