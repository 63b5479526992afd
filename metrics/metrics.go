// Package metrics exposes iamd's Prometheus metrics: requests by service,
// action and outcome with their latency, authorization decisions, the
// sizes of the in-memory state, the audit trail's write latency, and the
// Go runtime and process collectors. Metrics live in a registry of their
// own (never the global one), served by Handler at GET /metrics.
//
// The request path calls ObserveRequest once per request; it resolves the
// request's series from a small cache, so that recording costs two
// atomic adds and no allocation once a series exists.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/iam"
)

const namespace = "iamd"

// latencyBuckets span an in-memory read (well under a millisecond) to a
// write waiting on a slow disk.
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// Metrics holds iamd's collectors. Its methods are safe for concurrent use.
type Metrics struct {
	reg                            *prometheus.Registry
	requests                       *prometheus.CounterVec
	latency                        *prometheus.HistogramVec
	explicitDenies, implicitDenies atomic.Uint64
	auditRec                       prometheus.Histogram
	auditEnq                       prometheus.Histogram
	auditWait                      prometheus.Gauge

	// series is the cache of request series, copied on write: a lookup
	// takes no lock, which on the request path of every request matters
	// more than the copy made once per new series.
	mu     sync.Mutex // serializes writers of series
	series atomic.Pointer[map[seriesKey]series]
}

type seriesKey struct {
	service, action string
	status          int
	code            string
}

type series struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

// New returns the metrics with the Go runtime and process collectors
// registered.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "requests_total",
			Help: "IAM and STS requests by service, action, HTTP status and AWS error code (empty on success).",
		}, []string{"service", "action", "status", "error_code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "request_duration_seconds",
			Help:    "Time from receiving a request to writing its response, by service and action.",
			Buckets: latencyBuckets,
		}, []string{"service", "action"}),
		auditRec: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "audit_record_duration_seconds",
			Help:    "Time a request waited for its audit event to become durable (mutations and failures; group commit).",
			Buckets: latencyBuckets,
		}),
		auditEnq: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "audit_enqueue_duration_seconds",
			Help:    "Time to hand a read-only call's audit event to the group-commit queue (grows when the queue is full).",
			Buckets: latencyBuckets,
		}),
		auditWait: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "audit_records_waiting",
			Help: "Requests waiting for their audit event to be committed.",
		}),
	}
	m.series.Store(&map[seriesKey]series{})
	m.reg.MustRegister(m.requests, m.latency, m.auditRec, m.auditEnq, m.auditWait,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where the metrics are registered, for callers that add
// their own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveRequest records a finished request. Label values come from the
// API models and AWS's error codes, so their number is bounded.
func (m *Metrics) ObserveRequest(service, action string, status int, errorCode string, elapsed time.Duration) {
	k := seriesKey{service, action, status, errorCode}
	s, ok := (*m.series.Load())[k]
	if !ok {
		s = m.newSeries(k)
	}
	s.count.Inc()
	s.latency.Observe(elapsed.Seconds())
}

// newSeries resolves k's series and adds it to the cache.
func (m *Metrics) newSeries(k seriesKey) series {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.series.Load()
	if s, ok := old[k]; ok {
		return s
	}
	s := series{
		count:   m.requests.WithLabelValues(k.service, k.action, strconv.Itoa(k.status), k.code),
		latency: m.latency.WithLabelValues(k.service, k.action),
	}
	next := make(map[seriesKey]series, len(old)+1)
	for ok, os := range old {
		next[ok] = os
	}
	next[k] = s
	m.series.Store(&next)
	return s
}

// ObserveDenial counts a request the policy engine denied.
func (m *Metrics) ObserveDenial(explicit bool) {
	if explicit {
		m.explicitDenies.Add(1)
	} else {
		m.implicitDenies.Add(1)
	}
}

// WatchService adds metrics read from svc at scrape time: the in-memory
// state's sizes and the authorization decisions it allowed.
func (m *Metrics) WatchService(svc *iam.Service) {
	m.reg.MustRegister(newStateCollector(svc))
	m.reg.MustRegister(&decisionCollector{m: m, svc: svc})
}

// decisionCollector reports authorization decisions by effect: Allow as
// the Service counts them, the denials as the handler saw them answered.
type decisionCollector struct {
	m   *Metrics
	svc *iam.Service
}

var decisionsDesc = prometheus.NewDesc(namespace+"_authorization_decisions_total",
	"Authorization decisions by effect: Allow counts every allowing evaluation (root's own-account requests need none), "+
		"ExplicitDeny and ImplicitDeny the requests answered AccessDenied.", []string{"effect"}, nil)

func (c *decisionCollector) Describe(ch chan<- *prometheus.Desc) { ch <- decisionsDesc }

func (c *decisionCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(decisionsDesc, prometheus.CounterValue, float64(c.svc.AllowedDecisions()), "Allow")
	ch <- prometheus.MustNewConstMetric(decisionsDesc, prometheus.CounterValue, float64(c.m.explicitDenies.Load()), "ExplicitDeny")
	ch <- prometheus.MustNewConstMetric(decisionsDesc, prometheus.CounterValue, float64(c.m.implicitDenies.Load()), "ImplicitDeny")
}

// stateCollector reports iam.StateSizes, read once per scrape.
type stateCollector struct {
	svc   *iam.Service
	descs []stateDesc
}

type stateDesc struct {
	d   *prometheus.Desc
	get func(iam.StateSizes) int
}

func newStateCollector(svc *iam.Service) *stateCollector {
	c := &stateCollector{svc: svc}
	add := func(what, help string, get func(iam.StateSizes) int) {
		c.descs = append(c.descs, stateDesc{prometheus.NewDesc(namespace+"_state_"+what, help, nil, nil), get})
	}
	add("accounts", "Accounts in memory.", func(z iam.StateSizes) int { return z.Accounts })
	add("users", "IAM users in memory.", func(z iam.StateSizes) int { return z.Users })
	add("groups", "IAM groups in memory.", func(z iam.StateSizes) int { return z.Groups })
	add("roles", "IAM roles in memory.", func(z iam.StateSizes) int { return z.Roles })
	add("managed_policies", "Customer managed policies in memory.", func(z iam.StateSizes) int { return z.ManagedPolicies })
	add("access_keys", "Access keys in memory (the credential index).", func(z iam.StateSizes) int { return z.AccessKeys })
	add("policy_sets", "Cached assembled policy sets (one per principal).", func(z iam.StateSizes) int { return z.PolicySets })
	add("compiled_policies", "Cached compiled policy documents.", func(z iam.StateSizes) int { return z.CompiledPolicies })
	add("sessions", "Cached opened STS session tokens.", func(z iam.StateSizes) int { return z.Sessions })
	return c
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d.d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	z := c.svc.StateSizes()
	for _, d := range c.descs {
		ch <- prometheus.MustNewConstMetric(d.d, prometheus.GaugeValue, float64(d.get(z)))
	}
}

// WatchStore makes ready report whether the store answers: readyz uses it.
// (Kept here so that /readyz and the metrics agree on what "up" means.)
func (m *Metrics) WatchStore(ping func(context.Context) error) func(context.Context) error {
	up := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "store_up",
		Help: "1 when the last readiness check reached the store, else 0."})
	m.reg.MustRegister(up)
	return func(ctx context.Context) error {
		err := ping(ctx)
		if err != nil {
			up.Set(0)
		} else {
			up.Set(1)
		}
		return err
	}
}

// Auditor wraps the audit trail's writer, timing how long requests wait
// for it; it keeps the writer's other methods (Flush, Store).
type Auditor struct {
	*audit.Writer
	m *Metrics
}

// WrapAuditor returns w timed by m.
func (m *Metrics) WrapAuditor(w *audit.Writer) *Auditor { return &Auditor{Writer: w, m: m} }

// Record is audit.Writer.Record, timed.
func (a *Auditor) Record(ctx context.Context, e *audit.Event) error {
	a.m.auditWait.Inc()
	start := time.Now()
	err := a.Writer.Record(ctx, e)
	a.m.auditRec.Observe(time.Since(start).Seconds())
	a.m.auditWait.Dec()
	return err
}

// Enqueue is audit.Writer.Enqueue, timed.
func (a *Auditor) Enqueue(e *audit.Event) error {
	start := time.Now()
	err := a.Writer.Enqueue(e)
	a.m.auditEnq.Observe(time.Since(start).Seconds())
	return err
}

// StorePing returns a check that the store answers a read: one read
// transaction asking for the change feed's revision.
func StorePing(store iam.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		return store.View(ctx, func(tx iam.Tx) error {
			_, err := tx.Revision()
			return err
		})
	}
}

// ReadyHandler answers GET /readyz: 200 "ok" while check passes, else 503,
// so that a load balancer stops sending requests to a node that cannot
// reach its store. The check is bounded by two seconds.
func ReadyHandler(check func(context.Context) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := check(ctx); err != nil {
			http.Error(w, "not ready: store unreachable", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
}
