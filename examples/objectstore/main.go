// Command objectstore is a tiny S3-compatible object store (path-style
// CreateBucket, PutBucketPolicy, GetBucketPolicy, PutObject, GetObject,
// HeadObject, DeleteObject, ListObjectsV2, in memory) that keeps no users
// of its own: it forwards every client's SigV4-signed request to iamd's
// authorization API and serves it only when iamd allows the S3 action.
// It shows the integration end to end; it is not a storage system.
//
// Plain HTTP only: over HTTPS, aws-sdk-go-v2 uploads bodies with
// aws-chunked encoding and a trailing checksum
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER), which iamd's SigV4 verifier does
// not accept yet and this store does not decode.
//
// Usage:
//
//	AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
//	  go run ./examples/objectstore --iamd http://127.0.0.1:9393 --listen 127.0.0.1:9000
//
// The credentials are the store's own IAM identity, which must be allowed
// iamd:Authorize on "*". Clients then use any S3 client with path-style
// addressing and their own iamd credentials:
//
//	aws --endpoint-url http://127.0.0.1:9000 s3api create-bucket --bucket data
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/iamd/iamd/authzclient"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "objectstore:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("objectstore", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:9000", "address to listen on")
	endpoint := fs.String("iamd", "http://127.0.0.1:9393", "iamd endpoint")
	if err := fs.Parse(args); err != nil {
		return err
	}
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the store's own iamd identity) are required")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	client := authzclient.New(*endpoint, credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN")))
	srv := &http.Server{Addr: *listen, Handler: NewStore(client, log), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("objectstore listening", "addr", *listen, "iamd", *endpoint)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
