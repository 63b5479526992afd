package audit

import "errors"

// ErrHeadMoved is returned by Store.AppendAudit when the records do not
// follow the stored chain head: another node sharing the store appended
// first. Nothing was written; the Writer reloads the head, chains its
// batch again after it and retries. A store with a single writer (SQLite)
// never returns it.
var ErrHeadMoved = errors.New("audit: chain head moved (another writer appended)")
