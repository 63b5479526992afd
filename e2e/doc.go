// Package e2e holds iamd's end-to-end tests: each starts a real server
// (server.Start on 127.0.0.1:0 with a temporary data directory) and drives it
// with unmodified AWS clients, aws-sdk-go-v2's iam and sts clients, and the
// aws CLI when it is installed. AWS's documented behaviour is the oracle.
package e2e
