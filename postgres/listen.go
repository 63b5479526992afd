package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// ChangeChannel is the NOTIFY channel the change-feed trigger signals
// (migration 0002).
const ChangeChannel = "iamd_changes"

// Backoff bounds for re-establishing the LISTEN connection.
const (
	listenBackoffMin = 100 * time.Millisecond
	listenBackoffMax = 10 * time.Second
)

// FollowChanges calls wake whenever another transaction commits a change,
// until ctx ends. It LISTENs on a connection of its own (a pooled
// connection cannot wait for notifications) and reconnects with
// exponential backoff when it drops; after every (re)connection it calls
// wake once, since notifications sent while it was away are lost.
//
// wake runs on a separate goroutine and calls are coalesced: a burst of
// commits while wake runs leads to one more call, not one per commit.
// Notifications are an optimization: the caller keeps polling as the
// fallback (Service.Run), so nothing is lost if this connection is down.
func (db *DB) FollowChanges(ctx context.Context, log *slog.Logger, wake func(context.Context)) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	kick := make(chan struct{}, 1)
	signal := func() {
		select {
		case kick <- struct{}{}:
		default: // a wake is already pending; it will see this change too
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-kick:
				wake(ctx)
			}
		}
	}()
	defer func() { <-done }()

	backoff := listenBackoffMin
	for ctx.Err() == nil {
		start := time.Now()
		err := db.listen(ctx, signal)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > time.Minute {
			backoff = listenBackoffMin // it worked for a while: not a persistent failure
		}
		log.Warn("postgres: change notifications interrupted; polling until reconnected", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, listenBackoffMax)
	}
}

// listen holds one LISTEN connection until it fails or ctx ends.
func (db *DB) listen(ctx context.Context, signal func()) error {
	cfg := db.connCfg.Copy()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+ChangeChannel); err != nil {
		return err
	}
	signal() // catch up on whatever was committed while not listening
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		// The channel is database-wide; the payload is the writer's schema.
		if n.Payload == db.schema {
			signal()
		}
	}
}
