-- 0011: LookupEvents reads an account's newest events first (ORDER BY seq
-- DESC LIMIT n): in (account_id, seq) order the page is the index's last
-- entries, instead of a scan of the account's events and a sort.
CREATE INDEX audit_events_account_seq ON audit_events (account_id, seq);
