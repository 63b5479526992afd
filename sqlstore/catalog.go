package sqlstore

import (
	"fmt"

	"github.com/iamd/iamd/iam"
)

// --- custom service definitions (iam.ServiceCatalogTx)

var (
	qPutServiceDef = q(`INSERT INTO service_definitions (prefix, document, create_date, update_date) VALUES (?, ?, ?, ?)
		ON CONFLICT (prefix) DO UPDATE SET document = excluded.document, update_date = excluded.update_date`)
	qServiceDef    = q(`SELECT prefix, document, create_date, update_date FROM service_definitions WHERE prefix = ?`)
	qServiceDefs   = q(`SELECT prefix, document, create_date, update_date FROM service_definitions ORDER BY prefix`)
	qDelServiceDef = q(`DELETE FROM service_definitions WHERE prefix = ?`)
)

func (t *Tx) PutServiceDefinition(d *iam.ServiceDefinition) error {
	cd, err := timeToDB(d.CreateDate)
	if err != nil {
		return fmt.Errorf("put service definition %s: %w", d.Prefix, err)
	}
	ud, err := timeToDB(d.UpdateDate)
	if err != nil {
		return fmt.Errorf("put service definition %s: %w", d.Prefix, err)
	}
	if _, err := t.exec(qPutServiceDef, d.Prefix, d.Document, cd, ud); err != nil {
		return fmt.Errorf("put service definition %s: %w", d.Prefix, t.classify(err))
	}
	return nil
}

func (t *Tx) ServiceDefinition(prefix string) (*iam.ServiceDefinition, error) {
	row, err := t.queryRow(qServiceDef, prefix)
	if err != nil {
		return nil, fmt.Errorf("service definition %s: %w", prefix, err)
	}
	d, err := scanServiceDef(row)
	if err != nil {
		return nil, fmt.Errorf("service definition %s: %w", prefix, t.classify(err))
	}
	return d, nil
}

func (t *Tx) ServiceDefinitions() ([]*iam.ServiceDefinition, error) {
	rows, err := t.query(qServiceDefs)
	if err != nil {
		return nil, fmt.Errorf("service definitions: %w", err)
	}
	defer rows.Close()
	var out []*iam.ServiceDefinition
	for rows.Next() {
		d, err := scanServiceDef(rows)
		if err != nil {
			return nil, fmt.Errorf("service definitions: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("service definitions: %w", err)
	}
	return out, nil
}

func (t *Tx) DeleteServiceDefinition(prefix string) error {
	if err := t.execOne(qDelServiceDef, prefix); err != nil {
		return fmt.Errorf("delete service definition %s: %w", prefix, t.classify(err))
	}
	return nil
}

func scanServiceDef(s scanner) (*iam.ServiceDefinition, error) {
	var d iam.ServiceDefinition
	var cd, ud int64
	if err := s.Scan(&d.Prefix, &d.Document, &cd, &ud); err != nil {
		return nil, err
	}
	d.CreateDate, d.UpdateDate = timeFromDB(cd), timeFromDB(ud)
	return &d, nil
}
