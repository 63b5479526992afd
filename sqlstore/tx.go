package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/iamd/iamd/iam"
)

// Tx implements iam.Tx, and every extension interface of iam, on a
// database/sql transaction.
type Tx struct {
	ctx   context.Context
	tx    *sql.Tx
	s     *Store
	stmts *Stmts // nil: send the text, the driver caches statements
	write bool
	done  bool
	// savepoint: exec has opened savepoint w and not released it.
	savepoint bool
}

var _ interface {
	iam.Tx
	iam.ActivityTx
	iam.ServiceCatalogTx
	iam.ConsoleTx
	iam.AuditJournalTx
	iam.PasswordMFATx
	iam.ProviderCredentialTx
	iam.RekeyTx
	iam.RolePolicyTx
} = (*Tx)(nil)

// check refuses a Tx used after Run returned, and a write in a View with a
// clear message; the backends also begin a View's transaction read-only,
// so this is not what keeps a View from writing.
func (t *Tx) check(write bool) error {
	if t.done {
		return t.s.errTxDone
	}
	if write && !t.write {
		return t.s.errReadOnly
	}
	return nil
}

func (t *Tx) stmt(q query) *sql.Stmt {
	return t.tx.StmtContext(t.ctx, t.stmts.list[q])
}

func (t *Tx) exec(q query, args ...any) (sql.Result, error) {
	if err := t.check(true); err != nil {
		return nil, err
	}
	if t.s.d.Savepoints {
		return t.execSavepoint(q, args)
	}
	if t.stmts != nil {
		return t.stmt(q).ExecContext(t.ctx, args...)
	}
	return t.tx.ExecContext(t.ctx, t.s.sql[q], args...)
}

// execSavepoint runs a write inside a savepoint (Dialect.Savepoints):
// rolling back to it after a failure undoes only the failed statement and
// leaves the transaction usable. The previous write's savepoint is
// released in the same round trip that opens the next one, and the commit
// releases the last, so a write costs two round trips, not three.
func (t *Tx) execSavepoint(q query, args []any) (sql.Result, error) {
	sp := "SAVEPOINT w"
	if t.savepoint {
		sp = "RELEASE SAVEPOINT w; SAVEPOINT w"
	}
	if _, err := t.tx.ExecContext(t.ctx, sp); err != nil {
		return nil, err
	}
	t.savepoint = true
	var res sql.Result
	var err error
	if t.stmts != nil {
		res, err = t.stmt(q).ExecContext(t.ctx, args...)
	} else {
		res, err = t.tx.ExecContext(t.ctx, t.s.sql[q], args...)
	}
	if err != nil {
		// ROLLBACK TO keeps the savepoint; the next write releases it.
		if _, rerr := t.tx.ExecContext(t.ctx, "ROLLBACK TO SAVEPOINT w"); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
		return nil, err
	}
	return res, nil
}

func (t *Tx) queryRow(q query, args ...any) (*sql.Row, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	if t.stmts != nil {
		return t.stmt(q).QueryRowContext(t.ctx, args...), nil
	}
	return t.tx.QueryRowContext(t.ctx, t.s.sql[q], args...), nil
}

func (t *Tx) query(q query, args ...any) (*sql.Rows, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	if t.stmts != nil {
		return t.stmt(q).QueryContext(t.ctx, args...)
	}
	return t.tx.QueryContext(t.ctx, t.s.sql[q], args...)
}

// execOne runs a statement that must touch exactly one row; zero rows
// means the row does not exist.
func (t *Tx) execOne(q query, args ...any) error {
	res, err := t.exec(q, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return iam.ErrNotFound
	}
	return nil
}

func (t *Tx) count(q query, args ...any) (int, error) {
	row, err := t.queryRow(q, args...)
	if err != nil {
		return 0, err
	}
	var n int
	if err := row.Scan(&n); err != nil {
		return 0, err
	}
	return n, nil
}

// --- meta

var (
	qMeta    = q(`SELECT value FROM meta WHERE key = ?`)
	qSetMeta = q(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
)

func (t *Tx) Meta(key string) (string, error) {
	row, err := t.queryRow(qMeta, key)
	if err != nil {
		return "", fmt.Errorf("meta %q: %w", key, err)
	}
	var v string
	if err := row.Scan(&v); err != nil {
		return "", fmt.Errorf("meta %q: %w", key, t.classify(err))
	}
	return v, nil
}

func (t *Tx) SetMeta(key, value string) error {
	if _, err := t.exec(qSetMeta, key, value); err != nil {
		return fmt.Errorf("set meta %q: %w", key, t.classify(err))
	}
	return nil
}

// --- accounts

var (
	qCreateAccount = q(`INSERT INTO accounts (id, create_date) VALUES (?, ?)`)
	qAccount       = q(`SELECT id, create_date FROM accounts WHERE id = ?`)
	qAccounts      = q(`SELECT id, create_date FROM accounts ORDER BY id`)
)

func (t *Tx) CreateAccount(a *iam.Account) error {
	cd, err := timeToDB(a.CreateDate)
	if err != nil {
		return fmt.Errorf("create account %s: %w", a.ID, err)
	}
	if _, err := t.exec(qCreateAccount, a.ID, cd); err != nil {
		return fmt.Errorf("create account %s: %w", a.ID, t.classify(err))
	}
	return nil
}

func (t *Tx) Account(id string) (*iam.Account, error) {
	row, err := t.queryRow(qAccount, id)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", id, err)
	}
	a, err := scanAccount(row)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", id, t.classify(err))
	}
	return a, nil
}

func (t *Tx) Accounts() ([]*iam.Account, error) {
	rows, err := t.query(qAccounts)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	as, err := collect(rows, scanAccount)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	return as, nil
}

func scanAccount(s scanner) (*iam.Account, error) {
	var a iam.Account
	var cd int64
	if err := s.Scan(&a.ID, &cd); err != nil {
		return nil, err
	}
	a.CreateDate = timeFromDB(cd)
	return &a, nil
}

// --- users

const userCols = `u.id, u.account_id, u.name, u.path, u.create_date, u.permissions_boundary, u.tags, u.password_last_used`

// listFilter ends a listing of the rows of alias: path prefix ?1 (see
// Dialect.PathPrefix: an empty prefix matches every path), names after ?2
// in name_lower's byte order, at most ?3 rows (Dialect.NoLimit for all).
// The columns compare by bytes on both backends (PostgreSQL's are COLLATE
// "C"), so pages and markers are the same.
func (d *Dialect) listFilter(alias string) string {
	return fmt.Sprintf(` AND `+d.PathPrefix+` AND %[1]s.name_lower > ?2 ORDER BY %[1]s.name_lower LIMIT ?3`, alias)
}

// listQuery is a listing: head, which selects the rows of alias and binds
// the owner as ?4, then listFilter. listArgs binds its parameters.
func listQuery(head, alias string) query {
	return qd(func(d *Dialect) string { return head + d.listFilter(alias) })
}

var (
	qCreateUser = q(`INSERT INTO users (id, account_id, name, name_lower, path, create_date, permissions_boundary, tags, password_last_used)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qUser       = q(`SELECT ` + userCols + ` FROM users u WHERE u.account_id = ? AND u.name_lower = ?`)
	qUserByID   = q(`SELECT ` + userCols + ` FROM users u WHERE u.id = ?`)
	qUsers      = listQuery(`SELECT `+userCols+` FROM users u WHERE u.account_id = ?4`, "u")
	qCountUsers = q(`SELECT count(*) FROM users WHERE account_id = ?`)
	qUpdateUser = q(`UPDATE users SET name = ?, name_lower = ?, path = ?, permissions_boundary = ?, tags = ?, password_last_used = ?
		WHERE id = ?`)
	qDeleteUser = q(`DELETE FROM users WHERE id = ?`)
)

func (t *Tx) CreateUser(u *iam.User) error {
	tags, err := tagsToDB(u.Tags)
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.Name, err)
	}
	cd, err := timeToDB(u.CreateDate)
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.Name, err)
	}
	plu, err := timeToDB(u.PasswordLastUsed)
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.Name, err)
	}
	if _, err := t.exec(qCreateUser, u.ID, u.AccountID, u.Name, strings.ToLower(u.Name), u.Path,
		cd, u.PermissionsBoundary, tags, plu); err != nil {
		return fmt.Errorf("create user %s: %w", u.Name, t.classify(err))
	}
	return nil
}

func (t *Tx) User(accountID, name string) (*iam.User, error) {
	row, err := t.queryRow(qUser, accountID, strings.ToLower(name))
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", name, err)
	}
	u, err := scanUser(row)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", name, t.classify(err))
	}
	return u, nil
}

func (t *Tx) UserByID(id string) (*iam.User, error) {
	row, err := t.queryRow(qUserByID, id)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", id, err)
	}
	u, err := scanUser(row)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", id, t.classify(err))
	}
	return u, nil
}

func (t *Tx) Users(accountID string, lq iam.ListQuery) ([]*iam.User, error) {
	rows, err := t.query(qUsers, t.listArgs(lq, accountID)...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	us, err := collect(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

func (t *Tx) CountUsers(accountID string) (int, error) {
	n, err := t.count(qCountUsers, accountID)
	if err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

func (t *Tx) UpdateUser(u *iam.User) error {
	tags, err := tagsToDB(u.Tags)
	if err != nil {
		return fmt.Errorf("update user %s: %w", u.ID, err)
	}
	plu, err := timeToDB(u.PasswordLastUsed)
	if err != nil {
		return fmt.Errorf("update user %s: %w", u.ID, err)
	}
	if err := t.execOne(qUpdateUser, u.Name, strings.ToLower(u.Name), u.Path, u.PermissionsBoundary,
		tags, plu, u.ID); err != nil {
		return fmt.Errorf("update user %s: %w", u.ID, t.classify(err))
	}
	return nil
}

func (t *Tx) DeleteUser(id string) error {
	if err := t.execOne(qDeleteUser, id); err != nil {
		return fmt.Errorf("delete user %s: %w", id, t.classify(err))
	}
	return nil
}

func scanUser(s scanner) (*iam.User, error) {
	var u iam.User
	var cd, plu int64
	var tags string
	if err := s.Scan(&u.ID, &u.AccountID, &u.Name, &u.Path, &cd, &u.PermissionsBoundary, &tags, &plu); err != nil {
		return nil, err
	}
	var err error
	if u.Tags, err = tagsFromDB(tags); err != nil {
		return nil, fmt.Errorf("user %s: %w", u.ID, err)
	}
	u.CreateDate = timeFromDB(cd)
	u.PasswordLastUsed = timeFromDB(plu)
	return &u, nil
}

// --- groups

const groupCols = `g.id, g.account_id, g.name, g.path, g.create_date`

var (
	qCreateGroup = q(`INSERT INTO groups (id, account_id, name, name_lower, path, create_date) VALUES (?, ?, ?, ?, ?, ?)`)
	qGroup       = q(`SELECT ` + groupCols + ` FROM groups g WHERE g.account_id = ? AND g.name_lower = ?`)
	qGroups      = listQuery(`SELECT `+groupCols+` FROM groups g WHERE g.account_id = ?4`, "g")
	qCountGroups = q(`SELECT count(*) FROM groups WHERE account_id = ?`)
	qUpdateGroup = q(`UPDATE groups SET name = ?, name_lower = ?, path = ? WHERE id = ?`)
	qDeleteGroup = q(`DELETE FROM groups WHERE id = ?`)
)

func (t *Tx) CreateGroup(g *iam.Group) error {
	cd, err := timeToDB(g.CreateDate)
	if err != nil {
		return fmt.Errorf("create group %s: %w", g.Name, err)
	}
	if _, err := t.exec(qCreateGroup, g.ID, g.AccountID, g.Name, strings.ToLower(g.Name), g.Path, cd); err != nil {
		return fmt.Errorf("create group %s: %w", g.Name, t.classify(err))
	}
	return nil
}

func (t *Tx) Group(accountID, name string) (*iam.Group, error) {
	row, err := t.queryRow(qGroup, accountID, strings.ToLower(name))
	if err != nil {
		return nil, fmt.Errorf("group %s: %w", name, err)
	}
	g, err := scanGroup(row)
	if err != nil {
		return nil, fmt.Errorf("group %s: %w", name, t.classify(err))
	}
	return g, nil
}

func (t *Tx) Groups(accountID string, lq iam.ListQuery) ([]*iam.Group, error) {
	rows, err := t.query(qGroups, t.listArgs(lq, accountID)...)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	gs, err := collect(rows, scanGroup)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return gs, nil
}

func (t *Tx) CountGroups(accountID string) (int, error) {
	n, err := t.count(qCountGroups, accountID)
	if err != nil {
		return 0, fmt.Errorf("count groups: %w", err)
	}
	return n, nil
}

func (t *Tx) UpdateGroup(g *iam.Group) error {
	if err := t.execOne(qUpdateGroup, g.Name, strings.ToLower(g.Name), g.Path, g.ID); err != nil {
		return fmt.Errorf("update group %s: %w", g.ID, t.classify(err))
	}
	return nil
}

func (t *Tx) DeleteGroup(id string) error {
	if err := t.execOne(qDeleteGroup, id); err != nil {
		return fmt.Errorf("delete group %s: %w", id, t.classify(err))
	}
	return nil
}

func scanGroup(s scanner) (*iam.Group, error) {
	var g iam.Group
	var cd int64
	if err := s.Scan(&g.ID, &g.AccountID, &g.Name, &g.Path, &cd); err != nil {
		return nil, err
	}
	g.CreateDate = timeFromDB(cd)
	return &g, nil
}

// --- memberships

var (
	qAddMember    = q(`INSERT INTO group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`)
	qRemoveMember = q(`DELETE FROM group_members WHERE group_id = ? AND user_id = ?`)
	qUserGroups   = listQuery(`SELECT `+groupCols+` FROM group_members m JOIN groups g ON g.id = m.group_id
		WHERE m.user_id = ?4`, "g")
	qGroupUsers = listQuery(`SELECT `+userCols+` FROM group_members m JOIN users u ON u.id = m.user_id
		WHERE m.group_id = ?4`, "u")
	// The counts read the membership rows alone, so they would also count
	// a row whose group or user had gone; the foreign keys prevent that.
	qCountUserGroups   = q(`SELECT count(*) FROM group_members WHERE user_id = ?`)
	qCountGroupMembers = q(`SELECT count(*) FROM group_members WHERE group_id = ?`)
)

func (t *Tx) AddGroupMember(groupID, userID string) error {
	if _, err := t.exec(qAddMember, groupID, userID); err != nil {
		// A foreign key failure here means the group or the user is gone.
		return fmt.Errorf("add user %s to group %s: %w", userID, groupID, t.classifyRef(err, iam.ErrNotFound))
	}
	return nil
}

func (t *Tx) RemoveGroupMember(groupID, userID string) error {
	if err := t.execOne(qRemoveMember, groupID, userID); err != nil {
		return fmt.Errorf("remove user %s from group %s: %w", userID, groupID, t.classify(err))
	}
	return nil
}

func (t *Tx) GroupsForUser(userID string, lq iam.ListQuery) ([]*iam.Group, error) {
	rows, err := t.query(qUserGroups, t.listArgs(lq, userID)...)
	if err != nil {
		return nil, fmt.Errorf("list groups for user %s: %w", userID, err)
	}
	gs, err := collect(rows, scanGroup)
	if err != nil {
		return nil, fmt.Errorf("list groups for user %s: %w", userID, err)
	}
	return gs, nil
}

func (t *Tx) GroupMembers(groupID string, lq iam.ListQuery) ([]*iam.User, error) {
	rows, err := t.query(qGroupUsers, t.listArgs(lq, groupID)...)
	if err != nil {
		return nil, fmt.Errorf("list members of group %s: %w", groupID, err)
	}
	us, err := collect(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("list members of group %s: %w", groupID, err)
	}
	return us, nil
}

func (t *Tx) CountGroupsForUser(userID string) (int, error) {
	n, err := t.count(qCountUserGroups, userID)
	if err != nil {
		return 0, fmt.Errorf("count groups for user %s: %w", userID, err)
	}
	return n, nil
}

func (t *Tx) CountGroupMembers(groupID string) (int, error) {
	n, err := t.count(qCountGroupMembers, groupID)
	if err != nil {
		return 0, fmt.Errorf("count members of group %s: %w", groupID, err)
	}
	return n, nil
}

// --- access keys

const keyCols = `id, account_id, user_id, status, create_date, sealed_secret, last_used_date, last_used_service, last_used_region`

var (
	qCreateKey = q(`INSERT INTO access_keys (` + keyCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qKey       = q(`SELECT ` + keyCols + ` FROM access_keys WHERE id = ?`)
	// The root user's keys have a NULL user_id: a query of their own
	// rather than "user_id IS ?" (PostgreSQL: IS NOT DISTINCT FROM, which
	// no index serves), so that both use the owner index.
	qKeys      = q(`SELECT ` + keyCols + ` FROM access_keys WHERE user_id = ? AND account_id = ? ORDER BY create_date, id`)
	qRootKeys  = q(`SELECT ` + keyCols + ` FROM access_keys WHERE user_id IS NULL AND account_id = ? ORDER BY create_date, id`)
	qAllKeys   = q(`SELECT ` + keyCols + ` FROM access_keys ORDER BY id`)
	qUpdateKey = q(`UPDATE access_keys SET status = ?, last_used_date = ?, last_used_service = ?, last_used_region = ? WHERE id = ?`)
	qDeleteKey = q(`DELETE FROM access_keys WHERE id = ?`)
)

// keyUser maps the root user's empty UserID to NULL, which the foreign key
// to users ignores.
func keyUser(userID string) any {
	if userID == "" {
		return nil
	}
	return userID
}

func (t *Tx) CreateAccessKey(k *iam.AccessKey) error {
	cd, err := timeToDB(k.CreateDate)
	if err != nil {
		return fmt.Errorf("create access key %s: %w", k.ID, err)
	}
	lu, err := timeToDB(k.LastUsedDate)
	if err != nil {
		return fmt.Errorf("create access key %s: %w", k.ID, err)
	}
	secret := k.SealedSecret
	if secret == nil {
		secret = []byte{} // the column is NOT NULL; nil would bind as NULL
	}
	if _, err := t.exec(qCreateKey, k.ID, k.AccountID, keyUser(k.UserID), k.Status, cd, secret,
		lu, k.LastUsedService, k.LastUsedRegion); err != nil {
		// A foreign key failure here means the user is gone.
		return fmt.Errorf("create access key %s: %w", k.ID, t.classifyRef(err, iam.ErrNotFound))
	}
	return nil
}

func (t *Tx) AccessKey(id string) (*iam.AccessKey, error) {
	row, err := t.queryRow(qKey, id)
	if err != nil {
		return nil, fmt.Errorf("access key %s: %w", id, err)
	}
	k, err := scanKey(row)
	if err != nil {
		return nil, fmt.Errorf("access key %s: %w", id, t.classify(err))
	}
	return k, nil
}

func (t *Tx) AccessKeys(accountID, userID string) ([]*iam.AccessKey, error) {
	q, args := qKeys, []any{userID, accountID}
	if userID == "" {
		q, args = qRootKeys, []any{accountID}
	}
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("list access keys: %w", err)
	}
	ks, err := collect(rows, scanKey)
	if err != nil {
		return nil, fmt.Errorf("list access keys: %w", err)
	}
	return ks, nil
}

func (t *Tx) AllAccessKeys() ([]*iam.AccessKey, error) {
	rows, err := t.query(qAllKeys)
	if err != nil {
		return nil, fmt.Errorf("list all access keys: %w", err)
	}
	ks, err := collect(rows, scanKey)
	if err != nil {
		return nil, fmt.Errorf("list all access keys: %w", err)
	}
	return ks, nil
}

func (t *Tx) UpdateAccessKey(k *iam.AccessKey) error {
	lu, err := timeToDB(k.LastUsedDate)
	if err != nil {
		return fmt.Errorf("update access key %s: %w", k.ID, err)
	}
	if err := t.execOne(qUpdateKey, k.Status, lu, k.LastUsedService, k.LastUsedRegion, k.ID); err != nil {
		return fmt.Errorf("update access key %s: %w", k.ID, t.classify(err))
	}
	return nil
}

func (t *Tx) DeleteAccessKey(id string) error {
	if err := t.execOne(qDeleteKey, id); err != nil {
		return fmt.Errorf("delete access key %s: %w", id, t.classify(err))
	}
	return nil
}

func scanKey(s scanner) (*iam.AccessKey, error) {
	var k iam.AccessKey
	var user sql.NullString
	var cd, lu int64
	if err := s.Scan(&k.ID, &k.AccountID, &user, &k.Status, &cd, &k.SealedSecret,
		&lu, &k.LastUsedService, &k.LastUsedRegion); err != nil {
		return nil, err
	}
	k.UserID = user.String
	k.CreateDate = timeFromDB(cd)
	k.LastUsedDate = timeFromDB(lu)
	return &k, nil
}

// --- encoding

type scanner interface{ Scan(dest ...any) error }

func collect[T any](rows *sql.Rows, scan func(scanner) (*T, error)) ([]*T, error) {
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// listArgs binds listFilter's numbered parameters; ?4 is the owner (account,
// user or group) the query filters on.
func (t *Tx) listArgs(lq iam.ListQuery, owner string) []any {
	limit := t.s.d.NoLimit
	if lq.Limit > 0 {
		limit = int64(lq.Limit)
	}
	return []any{lq.PathPrefix, strings.ToLower(lq.After), limit, owner}
}

// Times are stored as Unix nanoseconds, which int64 holds from 1677 to
// 2262, and 0 stands for the zero time.Time (so the instant 1970-01-01
// 00:00:00 UTC itself would read back as zero; no IAM date is that).
var (
	minTime = time.Unix(0, -1<<63)
	maxTime = time.Unix(0, 1<<63-1)
)

func timeToDB(t time.Time) (int64, error) {
	if t.IsZero() {
		return 0, nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		return 0, fmt.Errorf("time %v out of the storable range", t)
	}
	return t.UnixNano(), nil
}

func timeFromDB(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func tagsToDB(tags []iam.Tag) (string, error) {
	if len(tags) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(tags)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func tagsFromDB(s string) ([]iam.Tag, error) {
	if s == "[]" || s == "" {
		return nil, nil
	}
	var tags []iam.Tag
	if err := json.Unmarshal([]byte(s), &tags); err != nil {
		return nil, fmt.Errorf("decode tags: %w", err)
	}
	return tags, nil
}
