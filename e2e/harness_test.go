package e2e

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/iamd/iamd/server"
)

const (
	testAccount   = "123456789012"
	rootKeyID     = "AKIAIOSFODNN7EXAMPLE"
	rootSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

type testServer struct {
	*server.Server
	dataDir string
}

// startServer starts a real iamd on a random loopback port.
func startServer(t *testing.T, dataDir string) *testServer {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	srv, err := server.Start(t.Context(), server.Config{
		Listen:          "127.0.0.1:0",
		DataDir:         dataDir,
		AccountID:       testAccount,
		RootAccessKeyID: rootKeyID,
		RootSecret:      rootSecretKey,
		Logger:          slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatalf("server.Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return &testServer{Server: srv, dataDir: dataDir}
}

func (s *testServer) awsConfig(keyID, secret, token string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, token),
		BaseEndpoint: aws.String(s.Endpoint()),
		HTTPClient:   http.DefaultClient,
		Retryer:      closedConnRetryer,
	}
}

// closedConnRetryer retries only aws-sdk-go-v2's own transport race
// ("deserialization failed ... use of closed network connection" on a
// complete 200 answer, aws/aws-sdk-go-v2#1825 and #2737), which a fast
// local server triggers now and then. Every answer iamd gives, error or
// not, still reaches the test on the first attempt: retrying anything else
// would hide it.
func closedConnRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 3
		o.Retryables = []retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			if strings.Contains(err.Error(), "use of closed network connection") {
				return aws.TrueTernary
			}
			return aws.FalseTernary
		})}
		o.RateLimiter = ratelimit.None
	})
}

func (s *testServer) iam(keyID, secret string) *iam.Client {
	return iam.NewFromConfig(s.awsConfig(keyID, secret, ""))
}

func (s *testServer) sts(keyID, secret string) *sts.Client {
	return sts.NewFromConfig(s.awsConfig(keyID, secret, ""))
}

func (s *testServer) rootIAM() *iam.Client { return s.iam(rootKeyID, rootSecretKey) }

// wantAPIError asserts err is an AWS API error with the code (and HTTP
// status when non-zero).
func wantAPIError(t *testing.T, err error, code string, status int) smithy.APIError {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want an error %s", code)
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want an API error %s", err, code)
	}
	if code != "" && apiErr.ErrorCode() != code {
		t.Fatalf("error code = %s (%s), want %s", apiErr.ErrorCode(), apiErr.ErrorMessage(), code)
	}
	if status != 0 {
		var re interface{ HTTPStatusCode() int }
		if errors.As(err, &re) && re.HTTPStatusCode() != status {
			t.Fatalf("%s: HTTP status = %d, want %d", code, re.HTTPStatusCode(), status)
		}
	}
	return apiErr
}
