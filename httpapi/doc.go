// Package httpapi serves iamd's AWS-compatible API over HTTP: the Query
// protocol of IAM (2010-05-08) and STS (2011-06-15) on one listener.
//
// A request goes through, in order: body capped and read; form parsed (POST
// body or GET query string); SigV4 parsed, which names the service (iam or
// sts) in its credential scope; the access key looked up in the Service's
// in-memory credential index; the signature verified; Version and Action
// resolved against the API model; the input decoded and validated by
// awsquery from the model; the operation's handler called; the result
// encoded by awsquery from the model's output shape.
//
// The route table (routes.go) maps every operation of both models: those
// iamd does not implement yet answer 501 NotImplemented, never 404.
package httpapi
