package postgres

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

// q marks a query of this package. pgx prepares each query once per
// connection, on first use, and keeps it in its statement cache, so the
// hot-path lookups parse no SQL after warm-up; unlike the sqlite package
// nothing has to be prepared in Open.
func q(s string) string { return s }

// tx implements iam.Tx on a database/sql transaction of the pgx driver.
type tx struct {
	ctx   context.Context
	tx    *sql.Tx
	write bool
	done  bool
	// savepoint: exec has opened savepoint w and not released it.
	savepoint bool
}

var errTxDone = errors.New("postgres: iam.Tx used after its Update or View returned")

func (t *tx) check(write bool) error {
	if t.done {
		return errTxDone
	}
	if write && !t.write {
		return errReadOnly
	}
	return nil
}

// exec runs a write inside a savepoint. A failed statement aborts a
// PostgreSQL transaction, but the iam.Tx contract lets fn carry on after
// ErrExists or ErrNotFound (iam.Service does: it tries an insert and
// reports a conflict); rolling back to the savepoint undoes only the
// failed statement. The previous write's savepoint is released in the same
// round trip that opens the next one, and the commit releases the last,
// so a write costs two round trips, not three.
func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	if err := t.check(true); err != nil {
		return nil, err
	}
	sp := "SAVEPOINT w"
	if t.savepoint {
		sp = "RELEASE SAVEPOINT w; SAVEPOINT w"
	}
	if _, err := t.tx.ExecContext(t.ctx, sp); err != nil {
		return nil, err
	}
	t.savepoint = true
	res, err := t.tx.ExecContext(t.ctx, query, args...)
	if err != nil {
		// ROLLBACK TO keeps the savepoint; the next write releases it.
		if _, rerr := t.tx.ExecContext(t.ctx, "ROLLBACK TO SAVEPOINT w"); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
		return nil, err
	}
	return res, nil
}

func (t *tx) queryRow(query string, args ...any) (*sql.Row, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	return t.tx.QueryRowContext(t.ctx, query, args...), nil
}

func (t *tx) query(query string, args ...any) (*sql.Rows, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	return t.tx.QueryContext(t.ctx, query, args...)
}

// execOne runs a statement that must touch exactly one row; zero rows
// means the row does not exist.
func (t *tx) execOne(query string, args ...any) error {
	res, err := t.exec(query, args...)
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

func (t *tx) count(query string, args ...any) (int, error) {
	row, err := t.queryRow(query, args...)
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
	qMeta    = q(`SELECT value FROM meta WHERE key = $1`)
	qSetMeta = q(`INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
)

func (t *tx) Meta(key string) (string, error) {
	row, err := t.queryRow(qMeta, key)
	if err != nil {
		return "", fmt.Errorf("meta %q: %w", key, err)
	}
	var v string
	if err := row.Scan(&v); err != nil {
		return "", fmt.Errorf("meta %q: %w", key, classify(err))
	}
	return v, nil
}

func (t *tx) SetMeta(key, value string) error {
	if _, err := t.exec(qSetMeta, key, value); err != nil {
		return fmt.Errorf("set meta %q: %w", key, classify(err))
	}
	return nil
}

// --- accounts

var (
	qCreateAccount = q(`INSERT INTO accounts (id, create_date) VALUES ($1, $2)`)
	qAccount       = q(`SELECT id, create_date FROM accounts WHERE id = $1`)
	qAccounts      = q(`SELECT id, create_date FROM accounts ORDER BY id`)
)

func (t *tx) CreateAccount(a *iam.Account) error {
	cd, err := timeToDB(a.CreateDate)
	if err != nil {
		return fmt.Errorf("create account %s: %w", a.ID, err)
	}
	if _, err := t.exec(qCreateAccount, a.ID, cd); err != nil {
		return fmt.Errorf("create account %s: %w", a.ID, classify(err))
	}
	return nil
}

func (t *tx) Account(id string) (*iam.Account, error) {
	row, err := t.queryRow(qAccount, id)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", id, err)
	}
	a, err := scanAccount(row)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", id, classify(err))
	}
	return a, nil
}

func (t *tx) Accounts() ([]*iam.Account, error) {
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

// Listings filter by path prefix with starts_with rather than LIKE: LIKE
// would treat '_' and '%' in a path as wildcards. An empty prefix matches
// every path. A NULL LIMIT means no limit. Columns are COLLATE "C", so the
// order and the "after" comparison are by bytes, as on SQLite.
const listFilter = ` AND starts_with(%[1]s.path, $1) AND %[1]s.name_lower > $2 ORDER BY %[1]s.name_lower LIMIT $3`

var (
	qCreateUser = q(`INSERT INTO users (id, account_id, name, name_lower, path, create_date, permissions_boundary, tags, password_last_used)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`)
	qUser       = q(`SELECT ` + userCols + ` FROM users u WHERE u.account_id = $1 AND u.name_lower = $2`)
	qUserByID   = q(`SELECT ` + userCols + ` FROM users u WHERE u.id = $1`)
	qUsers      = q(`SELECT ` + userCols + ` FROM users u WHERE u.account_id = $4` + fmt.Sprintf(listFilter, "u"))
	qCountUsers = q(`SELECT count(*) FROM users WHERE account_id = $1`)
	qUpdateUser = q(`UPDATE users SET name = $1, name_lower = $2, path = $3, permissions_boundary = $4, tags = $5, password_last_used = $6
		WHERE id = $7`)
	qDeleteUser = q(`DELETE FROM users WHERE id = $1`)
)

func (t *tx) CreateUser(u *iam.User) error {
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
		return fmt.Errorf("create user %s: %w", u.Name, classify(err))
	}
	return nil
}

func (t *tx) User(accountID, name string) (*iam.User, error) {
	row, err := t.queryRow(qUser, accountID, strings.ToLower(name))
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", name, err)
	}
	u, err := scanUser(row)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", name, classify(err))
	}
	return u, nil
}

func (t *tx) UserByID(id string) (*iam.User, error) {
	row, err := t.queryRow(qUserByID, id)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", id, err)
	}
	u, err := scanUser(row)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", id, classify(err))
	}
	return u, nil
}

func (t *tx) Users(accountID string, lq iam.ListQuery) ([]*iam.User, error) {
	rows, err := t.query(qUsers, listArgs(lq, accountID)...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	us, err := collect(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

func (t *tx) CountUsers(accountID string) (int, error) {
	n, err := t.count(qCountUsers, accountID)
	if err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

func (t *tx) UpdateUser(u *iam.User) error {
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
		return fmt.Errorf("update user %s: %w", u.ID, classify(err))
	}
	return nil
}

func (t *tx) DeleteUser(id string) error {
	if err := t.execOne(qDeleteUser, id); err != nil {
		return fmt.Errorf("delete user %s: %w", id, classify(err))
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
	qCreateGroup = q(`INSERT INTO groups (id, account_id, name, name_lower, path, create_date) VALUES ($1, $2, $3, $4, $5, $6)`)
	qGroup       = q(`SELECT ` + groupCols + ` FROM groups g WHERE g.account_id = $1 AND g.name_lower = $2`)
	qGroups      = q(`SELECT ` + groupCols + ` FROM groups g WHERE g.account_id = $4` + fmt.Sprintf(listFilter, "g"))
	qCountGroups = q(`SELECT count(*) FROM groups WHERE account_id = $1`)
	qUpdateGroup = q(`UPDATE groups SET name = $1, name_lower = $2, path = $3 WHERE id = $4`)
	qDeleteGroup = q(`DELETE FROM groups WHERE id = $1`)
)

func (t *tx) CreateGroup(g *iam.Group) error {
	cd, err := timeToDB(g.CreateDate)
	if err != nil {
		return fmt.Errorf("create group %s: %w", g.Name, err)
	}
	if _, err := t.exec(qCreateGroup, g.ID, g.AccountID, g.Name, strings.ToLower(g.Name), g.Path, cd); err != nil {
		return fmt.Errorf("create group %s: %w", g.Name, classify(err))
	}
	return nil
}

func (t *tx) Group(accountID, name string) (*iam.Group, error) {
	row, err := t.queryRow(qGroup, accountID, strings.ToLower(name))
	if err != nil {
		return nil, fmt.Errorf("group %s: %w", name, err)
	}
	g, err := scanGroup(row)
	if err != nil {
		return nil, fmt.Errorf("group %s: %w", name, classify(err))
	}
	return g, nil
}

func (t *tx) Groups(accountID string, lq iam.ListQuery) ([]*iam.Group, error) {
	rows, err := t.query(qGroups, listArgs(lq, accountID)...)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	gs, err := collect(rows, scanGroup)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return gs, nil
}

func (t *tx) CountGroups(accountID string) (int, error) {
	n, err := t.count(qCountGroups, accountID)
	if err != nil {
		return 0, fmt.Errorf("count groups: %w", err)
	}
	return n, nil
}

func (t *tx) UpdateGroup(g *iam.Group) error {
	if err := t.execOne(qUpdateGroup, g.Name, strings.ToLower(g.Name), g.Path, g.ID); err != nil {
		return fmt.Errorf("update group %s: %w", g.ID, classify(err))
	}
	return nil
}

func (t *tx) DeleteGroup(id string) error {
	if err := t.execOne(qDeleteGroup, id); err != nil {
		return fmt.Errorf("delete group %s: %w", id, classify(err))
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
	qAddMember    = q(`INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`)
	qRemoveMember = q(`DELETE FROM group_members WHERE group_id = $1 AND user_id = $2`)
	qUserGroups   = q(`SELECT ` + groupCols + ` FROM group_members m JOIN groups g ON g.id = m.group_id
		WHERE m.user_id = $4` + fmt.Sprintf(listFilter, "g"))
	qGroupUsers = q(`SELECT ` + userCols + ` FROM group_members m JOIN users u ON u.id = m.user_id
		WHERE m.group_id = $4` + fmt.Sprintf(listFilter, "u"))
	// The counts read the membership rows alone, so they would also count
	// a row whose group or user had gone; the foreign keys prevent that.
	qCountUserGroups   = q(`SELECT count(*) FROM group_members WHERE user_id = $1`)
	qCountGroupMembers = q(`SELECT count(*) FROM group_members WHERE group_id = $1`)
)

func (t *tx) AddGroupMember(groupID, userID string) error {
	if _, err := t.exec(qAddMember, groupID, userID); err != nil {
		// A foreign key failure here means the group or the user is gone.
		return fmt.Errorf("add user %s to group %s: %w", userID, groupID, classifyRef(err, iam.ErrNotFound))
	}
	return nil
}

func (t *tx) RemoveGroupMember(groupID, userID string) error {
	if err := t.execOne(qRemoveMember, groupID, userID); err != nil {
		return fmt.Errorf("remove user %s from group %s: %w", userID, groupID, classify(err))
	}
	return nil
}

func (t *tx) GroupsForUser(userID string, lq iam.ListQuery) ([]*iam.Group, error) {
	rows, err := t.query(qUserGroups, listArgs(lq, userID)...)
	if err != nil {
		return nil, fmt.Errorf("list groups for user %s: %w", userID, err)
	}
	gs, err := collect(rows, scanGroup)
	if err != nil {
		return nil, fmt.Errorf("list groups for user %s: %w", userID, err)
	}
	return gs, nil
}

func (t *tx) GroupMembers(groupID string, lq iam.ListQuery) ([]*iam.User, error) {
	rows, err := t.query(qGroupUsers, listArgs(lq, groupID)...)
	if err != nil {
		return nil, fmt.Errorf("list members of group %s: %w", groupID, err)
	}
	us, err := collect(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("list members of group %s: %w", groupID, err)
	}
	return us, nil
}

func (t *tx) CountGroupsForUser(userID string) (int, error) {
	n, err := t.count(qCountUserGroups, userID)
	if err != nil {
		return 0, fmt.Errorf("count groups for user %s: %w", userID, err)
	}
	return n, nil
}

func (t *tx) CountGroupMembers(groupID string) (int, error) {
	n, err := t.count(qCountGroupMembers, groupID)
	if err != nil {
		return 0, fmt.Errorf("count members of group %s: %w", groupID, err)
	}
	return n, nil
}

// --- access keys

const keyCols = `id, account_id, user_id, status, create_date, sealed_secret, last_used_date, last_used_service, last_used_region`

var (
	qCreateKey = q(`INSERT INTO access_keys (` + keyCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`)
	qKey       = q(`SELECT ` + keyCols + ` FROM access_keys WHERE id = $1`)
	// Two queries rather than "user_id IS NOT DISTINCT FROM $1", which
	// no index serves: the root user's keys have a NULL user_id.
	qKeys      = q(`SELECT ` + keyCols + ` FROM access_keys WHERE user_id = $1 AND account_id = $2 ORDER BY create_date, id`)
	qRootKeys  = q(`SELECT ` + keyCols + ` FROM access_keys WHERE user_id IS NULL AND account_id = $1 ORDER BY create_date, id`)
	qAllKeys   = q(`SELECT ` + keyCols + ` FROM access_keys ORDER BY id`)
	qUpdateKey = q(`UPDATE access_keys SET status = $1, last_used_date = $2, last_used_service = $3, last_used_region = $4 WHERE id = $5`)
	qDeleteKey = q(`DELETE FROM access_keys WHERE id = $1`)
)

// keyUser maps the root user's empty UserID to NULL, which the foreign key
// to users ignores.
func keyUser(userID string) any {
	if userID == "" {
		return nil
	}
	return userID
}

func (t *tx) CreateAccessKey(k *iam.AccessKey) error {
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
		return fmt.Errorf("create access key %s: %w", k.ID, classifyRef(err, iam.ErrNotFound))
	}
	return nil
}

func (t *tx) AccessKey(id string) (*iam.AccessKey, error) {
	row, err := t.queryRow(qKey, id)
	if err != nil {
		return nil, fmt.Errorf("access key %s: %w", id, err)
	}
	k, err := scanKey(row)
	if err != nil {
		return nil, fmt.Errorf("access key %s: %w", id, classify(err))
	}
	return k, nil
}

func (t *tx) AccessKeys(accountID, userID string) ([]*iam.AccessKey, error) {
	query, args := qKeys, []any{userID, accountID}
	if userID == "" {
		query, args = qRootKeys, []any{accountID}
	}
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("list access keys: %w", err)
	}
	ks, err := collect(rows, scanKey)
	if err != nil {
		return nil, fmt.Errorf("list access keys: %w", err)
	}
	return ks, nil
}

func (t *tx) AllAccessKeys() ([]*iam.AccessKey, error) {
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

func (t *tx) UpdateAccessKey(k *iam.AccessKey) error {
	lu, err := timeToDB(k.LastUsedDate)
	if err != nil {
		return fmt.Errorf("update access key %s: %w", k.ID, err)
	}
	if err := t.execOne(qUpdateKey, k.Status, lu, k.LastUsedService, k.LastUsedRegion, k.ID); err != nil {
		return fmt.Errorf("update access key %s: %w", k.ID, classify(err))
	}
	return nil
}

func (t *tx) DeleteAccessKey(id string) error {
	if err := t.execOne(qDeleteKey, id); err != nil {
		return fmt.Errorf("delete access key %s: %w", id, classify(err))
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

// listArgs binds listFilter's numbered parameters; $4 is the owner (account,
// user or group) the query filters on.
func listArgs(lq iam.ListQuery, owner string) []any {
	var limit any // NULL: no limit
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
