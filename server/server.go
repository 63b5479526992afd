// Package server assembles a running iamd: storage, keyring, the IAM
// service and the HTTP listener. cmd/iamd turns flags and environment into a
// Config and calls Start; tests start real servers the same way, on ":0"
// with a temporary data directory.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/authzapi"
	"github.com/iamd/iamd/console"
	"github.com/iamd/iamd/httpapi"
	"github.com/iamd/iamd/httpserve"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/keyring"
	"github.com/iamd/iamd/metrics"
	"github.com/iamd/iamd/postgres"
	"github.com/iamd/iamd/servicecatalog"
	"github.com/iamd/iamd/sqlite"
)

// Config configures a server. Zero values take the documented defaults.
type Config struct {
	Listen          string // host:port; "" = DefaultListen
	DataDir         string // required
	MasterKeyFile   string // "" = DataDir/master.key, created when missing
	AccountID       string // first start only; "" = random
	RootAccessKeyID string // preset root key pair (with RootSecret)
	RootSecret      string
	RootPassword    string // sets the root user's password at start when non-empty
	Logger          *slog.Logger
	Clock           func() time.Time
	Quotas          iam.Quotas
	AuditRetention  time.Duration // audit events older than this are pruned; 0 keeps them forever
	AuditSkipReads  bool          // leave successful read-only calls out of the audit trail
	// DatabaseURL selects PostgreSQL (postgres://...), shared by every node
	// of a deployment; "" keeps SQLite in DataDir. DataDir still holds the
	// master key and the audit signing key, which all nodes must share.
	DatabaseURL string
	// DatabaseNoListen leaves PostgreSQL's LISTEN off, for connection
	// poolers that cannot carry it (PgBouncer in transaction mode): other
	// nodes' changes then arrive by polling, within SyncPollInterval.
	DatabaseNoListen bool
	// PublicURL is the base URL clients outside reach the server at
	// (https://iam.example.com); outbound federation issuers are
	// <PublicURL>/oidc/<id>. "" derives it from the listen address. Every
	// node of a deployment must have the same one.
	PublicURL string
}

// backend is what a database provides: IAM storage and the audit trail.
type backend interface {
	iam.Store
	audit.Store
}

// SyncPollInterval is how often a server polls the store's change feed
// for writes it was not notified of.
const SyncPollInterval = 500 * time.Millisecond

// DefaultListen is where iamd listens unless told otherwise: loopback only,
// so a fresh install is not reachable from the network.
const DefaultListen = "127.0.0.1:9393"

// RootCredentialsFile is the name of the file, in the data directory, that
// receives the root credentials when they are created.
const RootCredentialsFile = "root-credentials"

// Server is a running iamd.
type Server struct {
	Service   *iam.Service
	Bootstrap *iam.BootstrapResult
	// CredentialsPath is the 0600 file holding the root credentials, when
	// Bootstrap created or preset them.
	CredentialsPath string

	listener net.Listener
	http     *httpserve.Server
	store    backend
	audit    *audit.Writer
	authz    *authzapi.Handler
	log      *slog.Logger
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopOnce sync.Once
	stopErr  error
}

// Start opens the data directory, bootstraps the account on first start and
// starts serving. Listen errors are reported here, synchronously. On error
// everything already opened is closed.
func Start(ctx context.Context, cfg Config) (s *Server, err error) {
	if cfg.DataDir == "" {
		return nil, errors.New("data directory is required")
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	svc, store, err := openService(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			store.Close()
		}
	}()
	boot, err := svc.Bootstrap(ctx, iam.BootstrapConfig{
		AccountID: cfg.AccountID, RootAccessKeyID: cfg.RootAccessKeyID, RootSecret: cfg.RootSecret,
	})
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if cfg.RootPassword != "" {
		if err := svc.SetRootPassword(ctx, boot.Account.ID, cfg.RootPassword); err != nil {
			return nil, fmt.Errorf("IAMD_ROOT_PASSWORD: %w", err)
		}
	}
	if cfg.PublicURL != "" {
		if err := iam.CheckPublicURL(cfg.PublicURL); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, err
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = defaultPublicURL(ln.Addr())
	}
	svc.SetPublicURL(cfg.PublicURL)
	s = &Server{Service: svc, Bootstrap: boot, listener: ln, store: store, log: log}
	if boot.RootSecret != "" {
		s.CredentialsPath = filepath.Join(cfg.DataDir, RootCredentialsFile)
		if err := writeCredentials(s.CredentialsPath, boot, s.Endpoint()); err != nil {
			ln.Close()
			return nil, err
		}
	}
	if s.audit, err = openAudit(ctx, cfg, store, log); err != nil {
		ln.Close()
		return nil, err
	}
	// Prometheus metrics and readiness (docs/operations.md).
	m := metrics.New()
	m.WatchService(svc)
	api := httpapi.NewHandler(httpapi.Config{Service: svc, Logger: log, Clock: cfg.Clock, Audit: m.WrapAuditor(s.audit),
		SkipReadEvents: cfg.AuditSkipReads, Metrics: m})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.Handle("GET /readyz", metrics.ReadyHandler(m.WatchStore(metrics.StorePing(store))))
	mux.Handle("GET /metrics", m.Handler())
	// The authorization API for other services (docs/authz-api.md), with
	// the AuthZEN endpoints where AuthZEN clients look for them.
	s.authz = authzapi.NewHandler(authzapi.Config{Service: svc, Audit: s.audit, Logger: log, Clock: cfg.Clock})
	mux.Handle("/iamd/authz/", s.authz)
	mux.Handle("/access/v1/", s.authz)
	mux.Handle("/", api)
	// Outbound federation issuers' discovery documents (server/oidc.go).
	for _, pattern := range oidcPatterns(cfg.PublicURL) {
		mux.Handle(pattern, oidcHandler(svc, log))
	}
	// The web console (docs/console.md).
	con, err := console.New(console.Config{Service: svc, Audit: s.audit, Events: s.audit.Store(), Logger: log, Clock: cfg.Clock})
	if err != nil {
		s.audit.Close()
		ln.Close()
		return nil, err
	}
	mux.Handle(console.Prefix+"/", con)
	mux.Handle(console.Prefix, con)
	// fasthttp's server with net/http handlers (package httpserve): a
	// third less CPU per request than net/http's on the decision path.
	s.http = httpserve.New(httpserve.Config{
		Handler: apiFirst(api, s.authz.DecisionsFirst(mux)),
		// Slow clients must not hold connections forever.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		Logger:            log,
	})
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		svc.Run(bg, 5*time.Second, SyncPollInterval)
	}()
	if pg, ok := store.(*postgres.DB); ok && !cfg.DatabaseNoListen {
		// Other nodes' writes are applied as soon as PostgreSQL notifies
		// them; the polling above remains the fallback.
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			pg.FollowChanges(bg, log, func(ctx context.Context) {
				if err := svc.Sync(ctx); err != nil {
					log.Error("sync state", "err", err)
				}
			})
		}()
	}
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(ln); err != nil {
			log.Error("serve", "err", err)
		}
	}()
	log.Info("iamd listening", "endpoint", s.Endpoint(), "account", boot.Account.ID, "data_dir", cfg.DataDir)
	return s, nil
}

// openService opens the data directory's master key and database and
// builds the IAM service over them.
func openService(ctx context.Context, cfg Config, log *slog.Logger) (*iam.Service, backend, error) {
	if cfg.MasterKeyFile == "" {
		cfg.MasterKeyFile = filepath.Join(cfg.DataDir, "master.key")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("data directory: %w", err)
	}
	kr, created, err := keyring.LoadOrCreate(cfg.MasterKeyFile, true)
	if err != nil {
		return nil, nil, fmt.Errorf("master key: %w", err)
	}
	if created {
		log.Info("generated master key", "path", cfg.MasterKeyFile)
	}
	kr.SetLogger(log) // the keyring follows the file (`iamd keys rotate`) and logs its reloads
	var store backend
	if cfg.DatabaseURL != "" {
		store, err = postgres.Open(ctx, cfg.DatabaseURL)
	} else {
		store, err = sqlite.Open(ctx, filepath.Join(cfg.DataDir, "iamd.db"))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open database: %w", err)
	}
	svc, err := iam.NewService(ctx, iam.Config{Store: store, Keyring: kr, Logger: log, Clock: cfg.Clock, Quotas: cfg.Quotas,
		Services: servicecatalog.NewLive(servicecatalog.AWS())}) // AWS's services plus the custom ones, for the access advisor
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return svc, store, nil
}

// OpenService opens a data directory for an administrative command (such
// as creating an account) while a server may be running on it: SQLite
// serializes the writers, and the server picks the change up from the
// change feed within seconds. close releases the database.
func OpenService(ctx context.Context, cfg Config) (svc *iam.Service, close func() error, err error) {
	if cfg.DataDir == "" {
		return nil, nil, errors.New("data directory is required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	svc, store, err := openService(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	return svc, store.Close, nil
}

// Endpoint is the server's base URL.
func (s *Server) Endpoint() string { return "http://" + s.listener.Addr().String() }

// Addr is the listener's address.
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// Shutdown stops accepting requests, waits for those in flight (up to ctx),
// flushes background state and closes the database. It is idempotent.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() {
		err := s.http.Shutdown(ctx)
		s.cancel()
		s.wg.Wait()
		s.authz.Close()         // decisions still grouping, before the trail closes
		aerr := s.audit.Close() // after the requests in flight: commits the last events and a final digest
		s.stopErr = errors.Join(err, aerr, s.store.Close())
	})
	return s.stopErr
}

// apiFirst sends requests for "/", where every AWS SDK and CLI sends its
// IAM and STS calls, straight to the API handler, and the rest through mux.
// mux would route them to the API all the same (its "/" pattern is the
// catch-all and no other pattern matches the root exactly); skipping its
// pattern matching is worth it on the path every API request takes.
func apiFirst(api, mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && r.Method != http.MethodConnect {
			api.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func writeCredentials(path string, boot *iam.BootstrapResult, endpoint string) error {
	content := fmt.Sprintf(`# iamd root user credentials for account %s.
# Use with: AWS_SHARED_CREDENTIALS_FILE=%s aws --endpoint-url %s iam list-users
[default]
aws_access_key_id = %s
aws_secret_access_key = %s
`, boot.Account.ID, path, endpoint, boot.RootAccessKeyID, boot.RootSecret)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// openAudit loads (or creates, 0600) the audit signing key in the data
// directory and starts the audit trail's group-commit writer.
func openAudit(ctx context.Context, cfg Config, store backend, log *slog.Logger) (*audit.Writer, error) {
	key, created, err := audit.LoadOrCreateKey(filepath.Join(cfg.DataDir, audit.KeyFile))
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	if created {
		log.Info("generated audit signing key", "path", filepath.Join(cfg.DataDir, audit.KeyFile))
	}
	w, err := audit.NewWriter(ctx, audit.Config{Store: store, Key: key, Logger: log, Retention: cfg.AuditRetention, Clock: cfg.Clock})
	if err != nil {
		return nil, fmt.Errorf("audit trail: %w", err)
	}
	return w, nil
}
