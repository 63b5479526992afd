// Package awsmodel loads the botocore IAM and STS service models that drive
// iamd's wire protocol: every operation, shape, constraint and modelled error.
//
// The models are embedded gzipped and parsed lazily, once per process, on the
// first call to IAM or STS. The returned values are shared and must be treated
// as read-only.
package awsmodel

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"sync"
)

//go:embed data/iam-2010-05-08.json.gz data/sts-2011-06-15.json.gz
var dataFS embed.FS

// Service is one botocore service model.
type Service struct {
	Name           string // "iam" | "sts"
	APIVersion     string
	XMLNamespace   string
	EndpointPrefix string
	FullName       string
	Operations     map[string]*Operation
	OperationNames []string // sorted
	Shapes         map[string]*Shape

	errorsByCode map[string]*Shape
}

// Operation is one API action.
type Operation struct {
	Name          string
	Input         *Shape // nil when the operation takes no parameters
	Output        *Shape // nil when the response carries only ResponseMetadata
	ResultWrapper string
	Errors        []*Shape
}

// Shape is a botocore shape. Min and Max carry botocore's meaning for the
// shape's type: string length (and blob length) for string/blob, value range
// for integer/long, element count for list and map.
type Shape struct {
	Name            string
	Type            string // structure|string|integer|long|boolean|timestamp|blob|list|map|double|float
	Members         []*Member
	Required        []string
	Min, Max        *int64
	Pattern         string
	Enum            []string
	Member          *Member // list element
	Key, Value      *Member // map entry
	Flattened       bool
	TimestampFormat string
	Sensitive       bool
	ErrorCode       string
	ErrorStatus     int
	SenderFault     bool
	Exception       bool

	memberIndex map[string]*Member
	enumSet     map[string]struct{}
	matcher     func(string) bool
}

// Member is a named reference to a shape: a structure member, a list element
// or a map key/value.
type Member struct {
	Name         string
	Shape        *Shape
	LocationName string
	Flattened    bool

	// Required is true when the enclosing structure lists this member as
	// required; precomputed so validators need no lookup.
	Required bool
	// Path is the member name with its first letter lower-cased: the form
	// AWS uses in validation messages ("userName", "tags.1.member.key").
	Path string
	// Index is the member's position in its structure.
	Index int
}

// IsRequired reports whether the structure member name is required.
func (s *Shape) IsRequired(name string) bool {
	m := s.memberIndex[name]
	return m != nil && m.Required
}

// MemberByName returns the structure member called name, or nil.
func (s *Shape) MemberByName(name string) *Member {
	return s.memberIndex[name]
}

// HasPattern reports whether the shape carries a pattern constraint.
func (s *Shape) HasPattern() bool { return s.matcher != nil }

// MatchPattern reports whether v satisfies the shape's pattern with Java
// String.matches semantics (the whole value must match). Shapes without a
// pattern match everything.
func (s *Shape) MatchPattern(v string) bool {
	if s.matcher == nil {
		return true
	}
	return s.matcher(v)
}

// InEnum reports whether v is one of the shape's enum values (true when the
// shape has no enum).
func (s *Shape) InEnum(v string) bool {
	if s.enumSet == nil {
		return true
	}
	_, ok := s.enumSet[v]
	return ok
}

// ErrorByCode returns the exception shape whose wire code is code, or nil.
func (svc *Service) ErrorByCode(code string) *Shape {
	return svc.errorsByCode[code]
}

var (
	iamOnce, stsOnce sync.Once
	iamSvc, stsSvc   *Service
)

// IAM returns the IAM 2010-05-08 model. It panics if the embedded model is
// corrupt, which a test catches at build time.
func IAM() *Service {
	iamOnce.Do(func() { iamSvc = mustLoad("iam", "data/iam-2010-05-08.json.gz") })
	return iamSvc
}

// STS returns the STS 2011-06-15 model.
func STS() *Service {
	stsOnce.Do(func() { stsSvc = mustLoad("sts", "data/sts-2011-06-15.json.gz") })
	return stsSvc
}

func mustLoad(name, file string) *Service {
	raw, err := dataFS.ReadFile(file)
	if err != nil {
		panic("awsmodel: " + err.Error())
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		panic("awsmodel: " + file + ": " + err.Error())
	}
	js, err := io.ReadAll(zr)
	if err != nil {
		panic("awsmodel: " + file + ": " + err.Error())
	}
	svc, err := Parse(name, js)
	if err != nil {
		panic("awsmodel: " + file + ": " + err.Error())
	}
	return svc
}

// JSON mirror of the botocore model. Member maps are kept as orderedMembers so
// the JSON key order survives: query XML output must follow it.
type jsonModel struct {
	Metadata struct {
		APIVersion      string `json:"apiVersion"`
		EndpointPrefix  string `json:"endpointPrefix"`
		ServiceFullName string `json:"serviceFullName"`
		XMLNamespace    string `json:"xmlNamespace"`
		Protocol        string `json:"protocol"`
	} `json:"metadata"`
	Operations map[string]jsonOperation `json:"operations"`
	Shapes     map[string]jsonShape     `json:"shapes"`
}

type jsonRef struct {
	Shape         string `json:"shape"`
	LocationName  string `json:"locationName"`
	Flattened     bool   `json:"flattened"`
	ResultWrapper string `json:"resultWrapper"`
}

type jsonOperation struct {
	Name   string    `json:"name"`
	Input  *jsonRef  `json:"input"`
	Output *jsonRef  `json:"output"`
	Errors []jsonRef `json:"errors"`
}

type jsonShape struct {
	Type            string         `json:"type"`
	Members         orderedMembers `json:"members"`
	Required        []string       `json:"required"`
	Min             *json.Number   `json:"min"`
	Max             *json.Number   `json:"max"`
	Pattern         *string        `json:"pattern"`
	Enum            []string       `json:"enum"`
	Member          *jsonRef       `json:"member"`
	Key             *jsonRef       `json:"key"`
	Value           *jsonRef       `json:"value"`
	Flattened       bool           `json:"flattened"`
	TimestampFormat string         `json:"timestampFormat"`
	Sensitive       bool           `json:"sensitive"`
	Exception       bool           `json:"exception"`
	Error           *struct {
		Code           string `json:"code"`
		HTTPStatusCode int    `json:"httpStatusCode"`
		SenderFault    bool   `json:"senderFault"`
	} `json:"error"`
}

type namedRef struct {
	name string
	ref  jsonRef
}

type orderedMembers []namedRef

// UnmarshalJSON walks the object token by token because encoding/json maps
// lose key order.
func (o *orderedMembers) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("members: want object, got %v", tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, ok := tok.(string)
		if !ok {
			return fmt.Errorf("members: want key, got %v", tok)
		}
		var ref jsonRef
		if err := dec.Decode(&ref); err != nil {
			return fmt.Errorf("member %s: %w", name, err)
		}
		*o = append(*o, namedRef{name, ref})
	}
	_, err = dec.Token()
	return err
}

// Parse builds a Service from botocore service-2.json bytes. name is the
// short service name ("iam", "sts").
func Parse(name string, js []byte) (*Service, error) {
	var m jsonModel
	if err := json.Unmarshal(js, &m); err != nil {
		return nil, err
	}
	if m.Metadata.Protocol != "query" {
		return nil, fmt.Errorf("protocol %q, want query", m.Metadata.Protocol)
	}
	svc := &Service{
		Name:           name,
		APIVersion:     m.Metadata.APIVersion,
		XMLNamespace:   m.Metadata.XMLNamespace,
		EndpointPrefix: m.Metadata.EndpointPrefix,
		FullName:       m.Metadata.ServiceFullName,
		Operations:     make(map[string]*Operation, len(m.Operations)),
		Shapes:         make(map[string]*Shape, len(m.Shapes)),
		errorsByCode:   map[string]*Shape{},
	}
	// Two passes: allocate every shape first so references can be resolved
	// regardless of declaration order (and recursive shapes work).
	for n, js := range m.Shapes {
		svc.Shapes[n] = &Shape{Name: n, Type: js.Type}
	}
	ref := func(r *jsonRef, mname string) (*Member, error) {
		if r == nil {
			return nil, nil
		}
		sh := svc.Shapes[r.Shape]
		if sh == nil {
			return nil, fmt.Errorf("unknown shape %q", r.Shape)
		}
		return &Member{Name: mname, Shape: sh, LocationName: r.LocationName, Flattened: r.Flattened, Path: lowerFirst(mname)}, nil
	}
	// Many shapes share a pattern; compile each distinct one once.
	matchers := map[string]func(string) bool{}
	for n, js := range m.Shapes {
		sh := svc.Shapes[n]
		var err error
		sh.Required = js.Required
		sh.Enum = js.Enum
		sh.Flattened = js.Flattened
		sh.TimestampFormat = js.TimestampFormat
		sh.Sensitive = js.Sensitive
		sh.Exception = js.Exception
		if js.Min != nil {
			if sh.Min, err = parseBound(*js.Min); err != nil {
				return nil, fmt.Errorf("shape %s min: %w", n, err)
			}
		}
		if js.Max != nil {
			if sh.Max, err = parseBound(*js.Max); err != nil {
				return nil, fmt.Errorf("shape %s max: %w", n, err)
			}
		}
		if js.Pattern != nil {
			sh.Pattern = *js.Pattern
			if sh.matcher = matchers[sh.Pattern]; sh.matcher == nil {
				if sh.matcher, err = compilePattern(sh.Pattern); err != nil {
					return nil, fmt.Errorf("shape %s: %w", n, err)
				}
				matchers[sh.Pattern] = sh.matcher
			}
		}
		if len(js.Enum) > 0 {
			sh.enumSet = make(map[string]struct{}, len(js.Enum))
			for _, e := range js.Enum {
				sh.enumSet[e] = struct{}{}
			}
		}
		if js.Error != nil {
			sh.ErrorCode = js.Error.Code
			sh.ErrorStatus = js.Error.HTTPStatusCode
			sh.SenderFault = js.Error.SenderFault
		}
		if sh.Exception {
			if sh.ErrorCode == "" {
				// botocore's rule: an exception without an explicit code
				// is reported under its shape name.
				sh.ErrorCode = n
			}
			if sh.ErrorStatus == 0 {
				sh.ErrorStatus = 400
				sh.SenderFault = true
			}
			svc.errorsByCode[sh.ErrorCode] = sh
		}
		if sh.Member, err = ref(js.Member, "member"); err != nil {
			return nil, fmt.Errorf("shape %s: %w", n, err)
		}
		if sh.Key, err = ref(js.Key, "key"); err != nil {
			return nil, fmt.Errorf("shape %s: %w", n, err)
		}
		if sh.Value, err = ref(js.Value, "value"); err != nil {
			return nil, fmt.Errorf("shape %s: %w", n, err)
		}
		if js.Type == "structure" {
			sh.memberIndex = make(map[string]*Member, len(js.Members))
			for i, nr := range js.Members {
				mem, err := ref(&nr.ref, nr.name)
				if err != nil {
					return nil, fmt.Errorf("shape %s member %s: %w", n, nr.name, err)
				}
				mem.Index = i
				mem.Required = slices.Contains(js.Required, nr.name)
				sh.Members = append(sh.Members, mem)
				sh.memberIndex[nr.name] = mem
			}
		}
	}
	for n, jo := range m.Operations {
		op := &Operation{Name: jo.Name}
		if op.Name == "" {
			op.Name = n
		}
		if jo.Input != nil {
			if op.Input = svc.Shapes[jo.Input.Shape]; op.Input == nil {
				return nil, fmt.Errorf("operation %s: unknown input %q", n, jo.Input.Shape)
			}
		}
		if jo.Output != nil {
			if op.Output = svc.Shapes[jo.Output.Shape]; op.Output == nil {
				return nil, fmt.Errorf("operation %s: unknown output %q", n, jo.Output.Shape)
			}
			op.ResultWrapper = jo.Output.ResultWrapper
		}
		for _, e := range jo.Errors {
			sh := svc.Shapes[e.Shape]
			if sh == nil {
				return nil, fmt.Errorf("operation %s: unknown error %q", n, e.Shape)
			}
			op.Errors = append(op.Errors, sh)
		}
		svc.Operations[n] = op
		svc.OperationNames = append(svc.OperationNames, n)
	}
	sort.Strings(svc.OperationNames)
	return svc, nil
}

func parseBound(n json.Number) (*int64, error) {
	if v, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return &v, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return nil, err
	}
	v := int64(f)
	return &v, nil
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+('a'-'A')) + s[1:]
}
