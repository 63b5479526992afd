package main

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/iamd/iamd/authzclient"
)

// Store is a tiny in-memory, path-style S3-compatible object store. It
// keeps no users: every request is forwarded to iamd, which verifies the
// client's SigV4 signature and decides the S3 action on the bucket's or
// object's ARN, with the bucket policy as the resource policy and the
// bucket's creator's account as its owner.
type Store struct {
	authz *authzclient.Client
	log   *slog.Logger

	mu      sync.RWMutex
	buckets map[string]*bucket
}

type bucket struct {
	owner   string // account ID of the creator
	policy  string
	created time.Time
	objects map[string]*object
}

type object struct {
	data     []byte
	etag     string
	modified time.Time
	ctype    string
}

// maxObject bounds one object; the store is an example, held in memory.
const maxObject = 16 << 20

// NewStore returns a store that asks authz for every decision.
func NewStore(authz *authzclient.Client, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{authz: authz, log: log, buckets: make(map[string]*bucket)}
}

// s3Error is S3's XML error body.
type s3Error struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource,omitempty"`
	RequestID string   `xml:"RequestId"`
	status    int
}

func errorf(status int, code, msg string) *s3Error {
	return &s3Error{Code: code, Message: msg, status: status}
}

// op is one S3 operation as the store recognises it.
type op struct {
	name     string // PutObject, ...
	action   string // s3:PutObject, ...
	bucket   string
	key      string
	resource string
}

// route names the operation of a path-style request.
func route(r *http.Request) (op, *s3Error) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bkt, key, _ := strings.Cut(path, "/")
	q := r.URL.Query()
	o := op{bucket: bkt, key: key, resource: "arn:aws:s3:::" + bkt}
	if key != "" {
		o.resource += "/" + key
	}
	_, policy := q["policy"]
	switch {
	case bkt == "":
		return o, errorf(http.StatusNotImplemented, "NotImplemented", "ListBuckets is not implemented by this example.")
	case key == "" && r.Method == http.MethodPut && policy:
		o.name, o.action = "PutBucketPolicy", "s3:PutBucketPolicy"
	case key == "" && r.Method == http.MethodGet && policy:
		o.name, o.action = "GetBucketPolicy", "s3:GetBucketPolicy"
	case key == "" && r.Method == http.MethodPut:
		o.name, o.action = "CreateBucket", "s3:CreateBucket"
	case key == "" && r.Method == http.MethodGet && q.Get("list-type") == "2":
		o.name, o.action = "ListObjectsV2", "s3:ListBucket"
	case key != "" && r.Method == http.MethodPut:
		o.name, o.action = "PutObject", "s3:PutObject"
	case key != "" && r.Method == http.MethodGet:
		o.name, o.action = "GetObject", "s3:GetObject"
	case key != "" && r.Method == http.MethodHead:
		o.name, o.action = "HeadObject", "s3:GetObject"
	case key != "" && r.Method == http.MethodDelete:
		o.name, o.action = "DeleteObject", "s3:DeleteObject"
	default:
		return o, errorf(http.StatusNotImplemented, "NotImplemented", "This operation is not implemented by this example.")
	}
	return o, nil
}

func (s *Store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := strconv.FormatInt(time.Now().UnixNano(), 36)
	err := s.serve(w, r)
	if err != nil {
		err.RequestID = requestID
		err.Resource = r.URL.Path
		b, _ := xml.Marshal(err)
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("X-Amz-Request-Id", requestID)
		w.WriteHeader(err.status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(append([]byte(xml.Header), b...))
		}
	}
}

func (s *Store) serve(w http.ResponseWriter, r *http.Request) *s3Error {
	o, serr := route(r)
	if serr != nil {
		return serr
	}
	ck := authzclient.Check{Action: o.action, Resource: o.resource, Context: map[string][]string{}}
	if ip := clientIP(r); ip != "" {
		ck.Context["aws:SourceIp"] = []string{ip}
	}
	if o.name == "ListObjectsV2" {
		q := r.URL.Query()
		ck.Context["s3:prefix"] = []string{q.Get("prefix")}
		if d := q.Get("delimiter"); d != "" {
			ck.Context["s3:delimiter"] = []string{d}
		}
		if m := q.Get("max-keys"); m != "" {
			ck.Context["s3:max-keys"] = []string{m}
		}
	}
	s.mu.RLock()
	b := s.buckets[o.bucket]
	if b != nil {
		ck.ResourcePolicy, ck.ResourceAccount = b.policy, b.owner
	}
	s.mu.RUnlock()
	dec, err := s.authz.Authorize(r.Context(), &authzclient.AuthorizeRequest{
		Subject: authzclient.Subject{SignedRequest: authzclient.ForwardRequest(r)}, Check: ck})
	if err != nil {
		return s.authzError(err)
	}
	if !dec.Allowed {
		return errorf(http.StatusForbidden, "AccessDenied", "User: "+dec.Principal.ARN+" is not authorized to perform: "+o.action+" on resource: "+o.resource)
	}
	switch o.name {
	case "CreateBucket":
		return s.createBucket(w, o, dec.Principal.AccountID)
	case "PutBucketPolicy":
		return s.putBucketPolicy(w, r, o, dec.Principal.ARN)
	case "GetBucketPolicy":
		return s.getBucketPolicy(w, o)
	case "ListObjectsV2":
		return s.listObjects(w, r, o)
	case "PutObject":
		return s.putObject(w, r, o)
	case "GetObject", "HeadObject":
		return s.getObject(w, r, o)
	case "DeleteObject":
		return s.deleteObject(w, o)
	}
	return errorf(http.StatusNotImplemented, "NotImplemented", o.name)
}

// authzError maps iamd's answer to S3's error. Errors about the client's
// request (source "subject") are the client's; the rest are the store's.
func (s *Store) authzError(err error) *s3Error {
	var ae *authzclient.Error
	if !errors.As(err, &ae) {
		s.log.Error("authorization request failed", "err", err)
		return errorf(http.StatusServiceUnavailable, "ServiceUnavailable", "Authorization is unavailable.")
	}
	if ae.Source != "subject" {
		s.log.Error("authorization request refused", "code", ae.Code, "source", ae.Source, "message", ae.Message)
		if ae.Source == "request" && ae.StatusCode == http.StatusBadRequest {
			return errorf(http.StatusBadRequest, "InvalidRequest", ae.Message)
		}
		return errorf(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
	}
	switch ae.Code {
	case "InvalidClientTokenId":
		// S3's name for an unknown access key.
		return errorf(http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	case "ExpiredToken":
		return errorf(http.StatusBadRequest, "ExpiredToken", "The provided token has expired.")
	case "SignatureDoesNotMatch":
		return errorf(http.StatusForbidden, "SignatureDoesNotMatch", ae.Message)
	case "MissingAuthenticationToken":
		return errorf(http.StatusForbidden, "AccessDenied", "Anonymous access is not supported by this example.")
	case "IncompleteSignature":
		return errorf(http.StatusBadRequest, "AuthorizationHeaderMalformed", ae.Message)
	case "RequestExpired":
		return errorf(http.StatusForbidden, "AccessDenied", "Request has expired")
	case "XAmzContentSHA256Mismatch":
		return errorf(http.StatusBadRequest, "XAmzContentSHA256Mismatch", ae.Message)
	}
	return errorf(ae.StatusCode, ae.Code, ae.Message)
}

func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// readBody reads the body and checks it against the signed payload hash:
// iamd verified the signature over the hash, and only the store sees the
// bytes.
func readBody(r *http.Request) ([]byte, *s3Error) {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxObject))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.")
	}
	switch h := r.Header.Get("X-Amz-Content-Sha256"); {
	case h == "UNSIGNED-PAYLOAD":
	case h == "" || strings.HasPrefix(h, "STREAMING-"):
		// iamd refuses streaming signatures; no header means the client
		// signed the hash of an empty or hashed body, which the store
		// does not accept unverified.
		return nil, errorf(http.StatusBadRequest, "InvalidRequest", "Missing or unsupported x-amz-content-sha256.")
	default:
		sum := sha256.Sum256(data)
		if !strings.EqualFold(hex.EncodeToString(sum[:]), h) {
			return nil, errorf(http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
	}
	return data, nil
}

func (s *Store) createBucket(w http.ResponseWriter, o op, account string) *s3Error {
	if len(o.bucket) < 3 || len(o.bucket) > 63 || strings.ToLower(o.bucket) != o.bucket {
		return errorf(http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.buckets[o.bucket]; b != nil {
		if b.owner == account {
			return errorf(http.StatusConflict, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.")
		}
		return errorf(http.StatusConflict, "BucketAlreadyExists", "The requested bucket name is not available.")
	}
	s.buckets[o.bucket] = &bucket{owner: account, created: time.Now().UTC(), objects: make(map[string]*object)}
	w.Header().Set("Location", "/"+o.bucket)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Store) putBucketPolicy(w http.ResponseWriter, r *http.Request, o op, callerARN string) *s3Error {
	doc, serr := readBody(r)
	if serr != nil {
		return serr
	}
	s.mu.RLock()
	b := s.buckets[o.bucket]
	s.mu.RUnlock()
	if b == nil {
		return errorf(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
	}
	// iamd parses the policy when it decides with it: one decision with
	// the new document validates it before it is stored.
	_, err := s.authz.Authorize(r.Context(), &authzclient.AuthorizeRequest{Subject: authzclient.Subject{PrincipalARN: callerARN},
		Check: authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::" + o.bucket + "/x", ResourcePolicy: string(doc), ResourceAccount: b.owner}})
	var ae *authzclient.Error
	if errors.As(err, &ae) && ae.Source == "request" {
		return errorf(http.StatusBadRequest, "MalformedPolicy", ae.Message)
	} else if err != nil {
		return s.authzError(err)
	}
	s.mu.Lock()
	b.policy = string(doc)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Store) getBucketPolicy(w http.ResponseWriter, o op) *s3Error {
	s.mu.RLock()
	b := s.buckets[o.bucket]
	var doc string
	if b != nil {
		doc = b.policy
	}
	s.mu.RUnlock()
	if b == nil {
		return errorf(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
	}
	if doc == "" {
		return errorf(http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist")
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, doc)
	return nil
}

func (s *Store) putObject(w http.ResponseWriter, r *http.Request, o op) *s3Error {
	data, serr := readBody(r)
	if serr != nil {
		return serr
	}
	sum := md5.Sum(data)
	obj := &object{data: data, etag: `"` + hex.EncodeToString(sum[:]) + `"`, modified: time.Now().UTC(), ctype: r.Header.Get("Content-Type")}
	s.mu.Lock()
	b := s.buckets[o.bucket]
	if b != nil {
		b.objects[o.key] = obj
	}
	s.mu.Unlock()
	if b == nil {
		return errorf(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
	}
	w.Header().Set("ETag", obj.etag)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Store) getObject(w http.ResponseWriter, r *http.Request, o op) *s3Error {
	s.mu.RLock()
	b := s.buckets[o.bucket]
	var obj *object
	if b != nil {
		obj = b.objects[o.key]
	}
	s.mu.RUnlock()
	switch {
	case b == nil:
		return errorf(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
	case obj == nil:
		return errorf(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
	}
	h := w.Header()
	h.Set("ETag", obj.etag)
	h.Set("Last-Modified", obj.modified.Format(http.TimeFormat))
	h.Set("Content-Length", strconv.Itoa(len(obj.data)))
	if obj.ctype != "" {
		h.Set("Content-Type", obj.ctype)
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(obj.data)
	}
	return nil
}

func (s *Store) deleteObject(w http.ResponseWriter, o op) *s3Error {
	s.mu.Lock()
	b := s.buckets[o.bucket]
	if b != nil {
		delete(b.objects, o.key)
	}
	s.mu.Unlock()
	if b == nil {
		return errorf(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type listResult struct {
	XMLName        xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name           string         `xml:"Name"`
	Prefix         string         `xml:"Prefix"`
	Delimiter      string         `xml:"Delimiter,omitempty"`
	MaxKeys        int            `xml:"MaxKeys"`
	KeyCount       int            `xml:"KeyCount"`
	IsTruncated    bool           `xml:"IsTruncated"`
	StartAfter     string         `xml:"StartAfter,omitempty"`
	Continuation   string         `xml:"ContinuationToken,omitempty"`
	NextToken      string         `xml:"NextContinuationToken,omitempty"`
	Contents       []listEntry    `xml:"Contents"`
	CommonPrefixes []commonPrefix `xml:"CommonPrefixes"`
}

type listEntry struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int    `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

func (s *Store) listObjects(w http.ResponseWriter, r *http.Request, o op) *s3Error {
	q := r.URL.Query()
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	maxKeys := 1000
	if m := q.Get("max-keys"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			return errorf(http.StatusBadRequest, "InvalidArgument", "max-keys must be a non-negative integer.")
		}
		maxKeys = min(n, 1000)
	}
	// The continuation token is the last key returned, which keeps the
	// example stateless; real stores make it opaque.
	after := q.Get("start-after")
	if t := q.Get("continuation-token"); t != "" {
		after = t
	}
	s.mu.RLock()
	b := s.buckets[o.bucket]
	var keys []string
	objs := map[string]*object{}
	if b != nil {
		for k, v := range b.objects {
			if strings.HasPrefix(k, prefix) && k > after {
				keys = append(keys, k)
				objs[k] = v
			}
		}
	}
	s.mu.RUnlock()
	if b == nil {
		return errorf(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
	}
	sort.Strings(keys)
	out := listResult{Name: o.bucket, Prefix: prefix, Delimiter: delim, MaxKeys: maxKeys, StartAfter: q.Get("start-after"),
		Continuation: q.Get("continuation-token")}
	seen := map[string]bool{}
	last := ""
	for _, k := range keys {
		if out.KeyCount == maxKeys {
			out.IsTruncated, out.NextToken = true, last
			break
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if !seen[cp] {
					seen[cp] = true
					out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: cp})
					out.KeyCount++
				}
				last = k
				continue
			}
		}
		v := objs[k]
		out.Contents = append(out.Contents, listEntry{Key: k, LastModified: v.modified.Format("2006-01-02T15:04:05.000Z"), ETag: v.etag, Size: len(v.data), StorageClass: "STANDARD"})
		out.KeyCount++
		last = k
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(out); err != nil {
		return errorf(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
	}
	w.Header().Set("Content-Type", "application/xml")
	_, _ = w.Write(buf.Bytes())
	return nil
}
