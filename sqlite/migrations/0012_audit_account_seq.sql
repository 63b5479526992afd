-- 0012: LookupEvents reads an account's newest events first (ORDER BY seq
-- DESC LIMIT n). With only the (account_id, event_time) index, SQLite
-- searched that index for the account and sorted every one of its events
-- to return one page (66 ms for 30,000 events, 0.33 s for 300,000 with a
-- StartTime); in (account_id, seq) order the page is the index's last
-- entries. sqlstore.Dialect.AuditScanNewest keeps an open-ended StartTime
-- filter from choosing the time index instead.
CREATE INDEX audit_events_account_seq ON audit_events (account_id, seq);
