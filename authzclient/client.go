// Package authzclient is the Go client of iamd's authorization API
// (docs/authz-api.md). A service that keeps its users in iamd forwards
// each client request it receives (ForwardRequest) with the action and
// resource it is about to serve, and iamd verifies the client's SigV4
// signature and answers the decision. The client signs its own calls with
// aws-sdk-go-v2's SigV4 signer, as the service's IAM identity, which must
// be allowed iamd:Authorize.
package authzclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/iamd/iamd/authzapi/wire"
)

// The API's messages, re-exported so that callers need only this package.
type (
	SignedRequest     = wire.SignedRequest
	Check             = wire.Check
	Subject           = wire.Subject
	AuthorizeRequest  = wire.AuthorizeRequest
	BatchRequest      = wire.BatchRequest
	AuthorizeResponse = wire.AuthorizeResponse
	BatchResponse     = wire.BatchResponse
	Result            = wire.Result
	Principal         = wire.Principal
)

// Client calls one iamd. It is safe for concurrent use.
type Client struct {
	endpoint string
	creds    aws.CredentialsProvider
	region   string
	http     *http.Client
	signer   *v4.Signer
	now      func() time.Time
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: a client with a 10 s
// timeout).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithRegion sets the region of the signing scope (default us-east-1;
// iamd accepts any).
func WithRegion(r string) Option { return func(c *Client) { c.region = r } }

// WithClock sets the signing clock (tests).
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// New returns a client for the iamd at endpoint (http://host:port) that
// signs as creds.
func New(endpoint string, creds aws.CredentialsProvider, opts ...Option) *Client {
	c := &Client{endpoint: strings.TrimSuffix(endpoint, "/"), creds: creds, region: "us-east-1",
		http: &http.Client{Timeout: 10 * time.Second}, signer: v4.NewSigner(), now: time.Now}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Error is an error answer of the API. Source says whose fault it is:
// "subject" errors (SignatureDoesNotMatch, InvalidClientTokenId,
// ExpiredToken, ...) are about the forwarded client request and are what a
// service relays to its client; "caller" errors are about the service's
// own credentials or permission.
type Error struct {
	StatusCode int
	Code       string
	Message    string
	Source     string
	RequestID  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("iamd authz: %s (%s, HTTP %d): %s", e.Code, e.Source, e.StatusCode, e.Message)
}

// Authorize asks one decision.
func (c *Client) Authorize(ctx context.Context, in *AuthorizeRequest) (*AuthorizeResponse, error) {
	var out AuthorizeResponse
	if err := c.call(ctx, wire.AuthorizePath, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AuthorizeBatch asks many decisions for one principal.
func (c *Client) AuthorizeBatch(ctx context.Context, in *BatchRequest) (*BatchResponse, error) {
	var out BatchResponse
	if err := c.call(ctx, wire.BatchPath, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ServiceInfo describes a custom service definition.
type ServiceInfo struct {
	Prefix     string          `json:"prefix"`
	CreateDate time.Time       `json:"createDate"`
	UpdateDate time.Time       `json:"updateDate"`
	Definition json.RawMessage `json:"definition,omitempty"` // GetServiceDefinition only
}

// PutServiceDefinition registers (or replaces) a custom service from its
// definition (package servicecatalog's format). The caller needs
// iamd:PutServiceDefinition.
func (c *Client) PutServiceDefinition(ctx context.Context, definition []byte) (*ServiceInfo, error) {
	var out ServiceInfo
	if err := c.do(ctx, http.MethodPost, wire.Prefix+"services", json.RawMessage(definition), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetServiceDefinition returns a custom service with its definition.
func (c *Client) GetServiceDefinition(ctx context.Context, prefix string) (*ServiceInfo, error) {
	var out ServiceInfo
	if err := c.do(ctx, http.MethodGet, wire.Prefix+"services/"+url.PathEscape(prefix), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListServiceDefinitions lists the custom services.
func (c *Client) ListServiceDefinitions(ctx context.Context) ([]ServiceInfo, error) {
	var out struct{ Services []ServiceInfo }
	if err := c.do(ctx, http.MethodGet, wire.Prefix+"services", nil, &out); err != nil {
		return nil, err
	}
	return out.Services, nil
}

// DeleteServiceDefinition removes a custom service.
func (c *Client) DeleteServiceDefinition(ctx context.Context, prefix string) error {
	return c.do(ctx, http.MethodDelete, wire.Prefix+"services/"+url.PathEscape(prefix), nil, &struct{}{})
}

// Finding is a policy validation finding, in IAM Access Analyzer's shape.
type Finding struct {
	FindingType    string          `json:"findingType"`
	IssueCode      string          `json:"issueCode"`
	FindingDetails string          `json:"findingDetails"`
	LearnMoreLink  string          `json:"learnMoreLink,omitempty"`
	Locations      json.RawMessage `json:"locations"`
}

// ValidatePolicy checks a policy against the AWS and custom services;
// policyType is IDENTITY_POLICY, RESOURCE_POLICY or
// SERVICE_CONTROL_POLICY. The caller needs iamd:ValidatePolicy.
func (c *Client) ValidatePolicy(ctx context.Context, document, policyType string) ([]Finding, error) {
	var out struct{ Findings []Finding }
	in := map[string]string{"policyDocument": document, "policyType": policyType}
	if err := c.do(ctx, http.MethodPost, wire.Prefix+"validate-policy", in, &out); err != nil {
		return nil, err
	}
	return out.Findings, nil
}

func (c *Client) call(ctx context.Context, path string, in, out any) error {
	return c.do(ctx, http.MethodPost, path, in, out)
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("iamd authz: credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), wire.SigningService, c.region, c.now()); err != nil {
		return fmt.Errorf("iamd authz: sign: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var er wire.ErrorResponse
		if json.Unmarshal(b, &er) != nil || er.Error.Code == "" {
			return &Error{StatusCode: resp.StatusCode, Code: "HTTP" + strconv.Itoa(resp.StatusCode), Message: http.StatusText(resp.StatusCode), Source: wire.SourceServer}
		}
		return &Error{StatusCode: resp.StatusCode, Code: er.Error.Code, Message: er.Error.Message, Source: er.Error.Source, RequestID: er.RequestID}
	}
	return json.Unmarshal(b, out)
}

// ForwardRequest captures a request a Go HTTP server received, as the
// client signed it: method, wire path and query, headers with Host (and
// Content-Length, which net/http moves out of Header). The body is not
// read: iamd checks the signature against X-Amz-Content-Sha256, and the
// service must check the body against that hash when it reads it (or set
// payloadHash for clients that sign the body without the header).
func ForwardRequest(r *http.Request) *SignedRequest {
	path := r.URL.EscapedPath()
	if u := r.RequestURI; u != "" && u[0] == '/' {
		path = u
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
	}
	if path == "" {
		path = "/"
	}
	h := make(map[string][]string, len(r.Header)+2)
	for k, v := range r.Header {
		h[k] = v
	}
	h["Host"] = []string{r.Host}
	if r.ContentLength > 0 {
		h["Content-Length"] = []string{strconv.FormatInt(r.ContentLength, 10)}
	}
	return &SignedRequest{Method: r.Method, Path: path, Query: r.URL.RawQuery, Header: h}
}
