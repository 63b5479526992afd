package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"hash"
	"log/slog"
	"sync"
	"time"
)

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("audit: writer is closed")

// Config configures a Writer.
type Config struct {
	Store          Store
	Key            ed25519.PrivateKey
	Logger         *slog.Logger
	DigestEvery    int64         // sign a digest at least every this many events; 0: 1000
	DigestInterval time.Duration // and at least this often while events arrive; 0: 1 minute
	Retention      time.Duration // 0: keep forever
	Clock          func() time.Time
	// The journal (journal.go), used when Store implements Journal: intents
	// older than JournalGrace (0: DefaultJournalGrace) are appended as
	// events at start and every JournalInterval (0: DefaultJournalInterval).
	JournalGrace    time.Duration
	JournalInterval time.Duration
	// ReadLinger bounds how long read events (Enqueue) may wait for more
	// before they are committed, counted from the end of the previous
	// commit (linger); 0: DefaultReadLinger; negative: no wait.
	ReadLinger time.Duration
}

// DefaultReadLinger is Config.ReadLinger's default: it bounds the commit
// rate of a read-only load to about 200 a second, and so the time a read's
// event can be lost in a crash to about 5 ms more than before (docs/audit.md).
const DefaultReadLinger = 5 * time.Millisecond

// Writer appends events durably with group commit: Record blocks until
// its event is committed; events recorded while a commit is in flight are
// chained and committed together in the next transaction, so concurrent
// requests share one fsync.
type Writer struct {
	cfg  Config
	log  *slog.Logger
	reqs chan *pending
	done chan struct{}

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup

	// owned by the loop goroutine
	seq        int64
	hash       []byte
	digestSeq  int64
	digestTime time.Time
	lastPrune  time.Time
	lastBatch  int
	lastCommit time.Duration
	lastEnd    time.Time            // when the previous commit returned
	sha        hash.Hash            // chainer's SHA-256 state
	journal    Journal              // nil: the store keeps no intents
	recovered  map[string]time.Time // event IDs appended from their intents, when
}

// gather waits briefly for more events when the batch is much smaller
// than the previous one: under load, the clients the previous commit
// released are about to send their next requests, and without the wait
// batches alternate between one event and all the others. The wait is at
// most half the previous commit's duration (and 1 ms), and stops as soon
// as the batch is as large as the previous one.
func (w *Writer) gather(batch []*pending) []*pending {
	timer := time.NewTimer(min(w.lastCommit/2, time.Millisecond))
	defer timer.Stop()
	for len(batch) < w.lastBatch && len(batch) < maxBatch {
		select {
		case q, ok := <-w.reqs:
			if !ok {
				return batch
			}
			batch = append(batch, q)
		case <-timer.C:
			return batch
		}
	}
	return batch
}

// linger keeps collecting while the batch holds only enqueued events (read
// events nobody waits for), until Config.ReadLinger after the end of the
// previous commit, or until an event whose caller waits (Record, Flush)
// arrives. Every commit costs about 250 µs of CPU whatever its size (BEGIN,
// WAL frames, the fsync's system time): unbounded, a fast disk made the
// writer commit ~18 read events at a time under HTTP load, ~14 µs each;
// with a 5 ms linger, ~225 (docs/bench/audit.md). A lone request, or the
// first after a pause, is not delayed: the previous commit ended long ago.
func (w *Writer) linger(batch []*pending) []*pending {
	rl := w.cfg.ReadLinger
	if rl <= 0 {
		return batch
	}
	for _, p := range batch {
		if p.err != nil {
			return batch
		}
	}
	wait := rl - time.Since(w.lastEnd)
	if wait <= 0 {
		return batch
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for len(batch) < maxBatch {
		select {
		case q, ok := <-w.reqs:
			if !ok {
				return batch
			}
			batch = append(batch, q)
			if q.err != nil {
				return batch
			}
		case <-timer.C:
			return batch
		}
	}
	return batch
}

type pending struct {
	e         *Event
	rec       *Record // e's record but its place in the chain, built by the caller
	err       chan error
	recovered bool // e comes from its intent (journal.go)
}

// maxBatch caps one transaction.
const maxBatch = 512

// NewWriter loads the chain head and starts the commit loop.
func NewWriter(ctx context.Context, cfg Config) (*Writer, error) {
	if cfg.DigestEvery <= 0 {
		cfg.DigestEvery = 1000
	}
	if cfg.DigestInterval <= 0 {
		cfg.DigestInterval = time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.JournalGrace <= 0 {
		cfg.JournalGrace = DefaultJournalGrace
	}
	if cfg.JournalInterval <= 0 {
		cfg.JournalInterval = DefaultJournalInterval
	}
	if cfg.ReadLinger == 0 {
		cfg.ReadLinger = DefaultReadLinger
	}
	w := &Writer{cfg: cfg, log: cfg.Logger, reqs: make(chan *pending, 4096), done: make(chan struct{}), recovered: map[string]time.Time{}}
	w.journal, _ = cfg.Store.(Journal)
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if err := w.loadHead(ctx); err != nil {
		return nil, err
	}
	w.digestTime = cfg.Clock()
	w.wg.Add(1)
	go w.loop()
	return w, nil
}

func (w *Writer) loadHead(ctx context.Context) error {
	seq, hash, dseq, err := w.cfg.Store.AuditHead(ctx)
	if err != nil {
		return err
	}
	if hash == nil {
		hash = ZeroHash
	}
	w.seq, w.hash, w.digestSeq = seq, hash, dseq
	return nil
}

// prepare builds e's record, all but its place in the chain, on the
// caller's goroutine: the writer's single goroutine is what bounds the
// trail's throughput, so it only chains (one SHA-256) and stores.
func prepare(e *Event) (*Record, error) {
	body, err := e.Canonical()
	if err != nil {
		return nil, err
	}
	r := recordColumns(e)
	r.Body = body
	return r, nil
}

// Record appends e and returns once it is durable (or failed).
func (w *Writer) Record(ctx context.Context, e *Event) error {
	rec, err := prepare(e)
	if err != nil {
		return err
	}
	p := &pending{e: e, rec: rec, err: make(chan error, 1)}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.reqs <- p
	w.mu.Unlock()
	// Not abandoned on ctx cancellation: the outcome decides the response.
	return <-p.err
}

// Enqueue appends e without waiting for it to be durable: it is committed
// with the next group commit (within milliseconds), and is lost only if the
// process dies before that. It blocks while the queue is full, so a writer
// that falls behind slows requests down rather than dropping events.
// httpapi uses it for read-only calls, whose events do not record a change.
// An event that cannot be encoded is refused here, so its request fails.
func (w *Writer) Enqueue(e *Event) error {
	rec, err := prepare(e)
	if err != nil {
		return err
	}
	p := &pending{e: e, rec: rec}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	w.reqs <- p
	return nil
}

// Flush returns once every event handed over before the call (by Record or
// Enqueue) is durable: readers of the trail call it so that they see what
// happened before them.
func (w *Writer) Flush(ctx context.Context) error {
	p := &pending{err: make(chan error, 1)}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.reqs <- p
	w.mu.Unlock()
	select {
	case err := <-p.err:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close commits what is queued, signs a final digest and stops.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	close(w.reqs)
	w.mu.Unlock()
	w.wg.Wait()
	return nil
}

func (w *Writer) loop() {
	defer w.wg.Done()
	var tick <-chan time.Time
	if w.journal != nil {
		w.recoverJournal()
		t := time.NewTicker(w.cfg.JournalInterval)
		defer t.Stop()
		tick = t.C
	}
	batch := make([]*pending, 0, maxBatch)
	for {
		var p *pending
		select {
		case q, ok := <-w.reqs:
			if !ok {
				w.commit(nil, true)
				return
			}
			p = q
		case <-tick:
			w.recoverJournal()
			continue
		}
		batch = append(batch[:0], p)
	drain:
		for len(batch) < maxBatch {
			select {
			case q, ok := <-w.reqs:
				if !ok {
					break drain
				}
				batch = append(batch, q)
			default:
				break drain
			}
		}
		if len(batch) < w.lastBatch/2 {
			batch = w.gather(batch)
		}
		batch = w.linger(batch)
		start := time.Now()
		w.commit(batch, false)
		w.lastBatch, w.lastCommit, w.lastEnd = len(batch), time.Since(start), time.Now()
	}
}

func (w *Writer) commit(batch []*pending, final bool) {
	ctx := context.Background()
	recs := make([]*Record, 0, len(batch))
	seq, hash := w.seq, w.hash
	ch := w.chainer(len(batch))
	var failed []*pending
	var ok []*pending
	for _, p := range batch {
		if p.e == nil { // a Flush barrier: answered with the batch's outcome
			ok = append(ok, p)
			continue
		}
		if _, dup := w.recovered[p.e.EventID]; dup && !p.recovered {
			// Its intent was appended already (the request outlived the
			// journal's grace period): one event per request, so this one
			// is dropped, and it is durable as far as the caller goes.
			w.log.Warn("audit: final event arrived after its intent was recovered; dropped", "event_id", p.e.EventID)
			if p.err != nil {
				p.err <- nil
			}
			continue
		}
		var r *Record
		var err error
		if p.rec != nil {
			r = p.rec
			r.Seq, r.PrevHash, r.Hash = seq+1, hash, ch.hash(hash, r.Body)
		} else {
			r, err = recoveredRecord(p.e, seq+1, hash)
		}
		if err != nil {
			if p.err != nil {
				p.err <- err
			} else {
				w.log.Error("audit: encode event", "event_id", p.e.EventID, "err", err)
			}
			failed = append(failed, p)
			continue
		}
		seq, hash = r.Seq, r.Hash
		recs = append(recs, r)
		ok = append(ok, p)
	}
	now := w.cfg.Clock()
	d := w.digest(seq, hash, now, final)
	if len(recs) == 0 && d == nil {
		for _, p := range ok { // only Flush barriers: nothing to write
			p.err <- nil
		}
		return
	}
	err := w.cfg.Store.AppendAudit(ctx, recs, d)
	// Another node sharing the store appended first: chain the batch
	// after the new head and try again, so all nodes form one chain. Not a
	// batch of recovered intents: the other node may have recovered the
	// same ones, so they are read again at the next recovery instead.
	recovered := len(batch) > 0 && batch[0].recovered
	for try := 0; errors.Is(err, ErrHeadMoved) && !recovered && try < maxHeadRetries; try++ {
		if err = w.loadHead(ctx); err != nil {
			break
		}
		seq, hash = w.seq, w.hash
		for _, r := range recs {
			r.Seq, r.PrevHash = seq+1, hash
			r.Hash = ChainHash(r.PrevHash, r.Body)
			seq, hash = r.Seq, r.Hash
		}
		if d = w.digest(seq, hash, now, final); len(recs) == 0 && d == nil {
			break
		}
		err = w.cfg.Store.AppendAudit(ctx, recs, d)
	}
	if err != nil {
		w.log.Error("audit: append failed", "events", len(recs), "err", err)
		// The head may or may not have moved (commit outcome unknown):
		// read it back.
		if lerr := w.loadHead(ctx); lerr != nil {
			w.log.Error("audit: reload head", "err", lerr)
		}
	} else {
		w.seq, w.hash = seq, hash
		if d != nil {
			w.digestSeq, w.digestTime = d.Seq, now
		}
	}
	for _, p := range ok {
		if p.err != nil {
			p.err <- err
		}
	}
	if err == nil && w.cfg.Retention > 0 && now.Sub(w.lastPrune) >= time.Hour {
		w.lastPrune = now
		w.prune(ctx, now.Add(-w.cfg.Retention))
	}
}

// chainer computes ChainHash for the records of one batch with the
// writer's one SHA-256 state, the hashes cut from one allocation: two
// allocations less per event on the goroutine that bounds the trail's
// throughput.
type chainer struct {
	h    hash.Hash
	slab []byte
}

func (w *Writer) chainer(n int) *chainer {
	if w.sha == nil {
		w.sha = sha256.New()
	}
	return &chainer{h: w.sha, slab: make([]byte, 0, n*sha256.Size)}
}

func (c *chainer) hash(prev, body []byte) []byte {
	c.h.Reset()
	c.h.Write(prev)
	c.h.Write(body)
	if cap(c.slab)-len(c.slab) < sha256.Size {
		c.slab = make([]byte, 0, 16*sha256.Size)
	}
	n := len(c.slab)
	c.slab = c.h.Sum(c.slab)
	return c.slab[n:len(c.slab):len(c.slab)]
}

// maxHeadRetries bounds the re-chaining when other nodes keep appending
// first; each retry follows a commit of another node, so it is only
// reached under extreme contention, and the batch then fails.
const maxHeadRetries = 50

// digest signs a digest for the head seq/hash when one is due.
func (w *Writer) digest(seq int64, hash []byte, now time.Time, final bool) *Digest {
	if seq > w.digestSeq && (final || seq-w.digestSeq >= w.cfg.DigestEvery || now.Sub(w.digestTime) >= w.cfg.DigestInterval) {
		d := &Digest{Seq: seq, Hash: hash, Time: now.UTC()}
		d.Signature = ed25519.Sign(w.cfg.Key, d.SignedBytes())
		return d
	}
	return nil
}

// prune deletes events older than cutoff, up to the newest digest (but
// the last) signed before cutoff, so that the remaining trail starts right
// after a signed digest and stays verifiable.
func (w *Writer) prune(ctx context.Context, cutoff time.Time) {
	digests, err := w.cfg.Store.AuditDigests(ctx)
	if err != nil {
		w.log.Error("audit: prune", "err", err)
		return
	}
	// The newest digest's event is always kept, so the trail never ends
	// before a digest (which verification reports as deletion).
	var through int64
	if len(digests) > 0 {
		digests = digests[:len(digests)-1]
	}
	for _, d := range digests {
		if d.Time.After(cutoff) {
			break
		}
		through = d.Seq
	}
	if through == 0 {
		return
	}
	if err := w.cfg.Store.PruneAudit(ctx, through); err != nil {
		w.log.Error("audit: prune", "err", err)
	}
}

// Prune runs retention now (for the administrative command and tests).
func Prune(ctx context.Context, st Store, cutoff time.Time) error {
	w := &Writer{cfg: Config{Store: st}, log: slog.New(slog.DiscardHandler)}
	w.prune(ctx, cutoff)
	return nil
}

// Store is the store the writer appends to (LookupEvents reads it).
func (w *Writer) Store() Store { return w.cfg.Store }
