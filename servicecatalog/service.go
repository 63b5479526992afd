package servicecatalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Service is one service's entry of the Service Authorization Reference:
// the actions a policy can name with the service prefix, the resource types
// their Resource elements can name, and the condition keys. The JSON form
// (field names as tagged) is the one the embedded AWS data uses and the one
// custom service definitions are written in.
//
// A Service is immutable once returned by the catalog or by
// ParseDefinition; lookups on it are case-insensitive, as IAM's matching of
// action names and condition keys is.
type Service struct {
	Prefix        string         `json:"prefix"`
	Name          string         `json:"name"`
	Actions       []Action       `json:"actions"`
	ResourceTypes []ResourceType `json:"resourceTypes,omitempty"`
	ConditionKeys []ConditionKey `json:"conditionKeys,omitempty"`

	actions   map[string]int // lower-cased action name -> index
	resources map[string]int // lower-cased resource type name -> index
	keys      []keyPattern   // the service's condition keys, compiled
}

// Action is one action of a service.
type Action struct {
	Name string `json:"name"`
	// AccessLevel is the classification of the reference: List, Read,
	// Write, Permissions management, Tagging; the AWS data sometimes
	// lists two, comma-separated ("Tagging, Write").
	AccessLevel string `json:"accessLevel"`
	// ResourceTypes the action can be scoped to; none means the action
	// supports only Resource "*".
	ResourceTypes []ActionResource `json:"resourceTypes,omitempty"`
	// ConditionKeys the action supports whatever the resource.
	ConditionKeys    []string `json:"conditionKeys,omitempty"`
	DependentActions []string `json:"dependentActions,omitempty"`
}

// ActionResource is a resource type an action applies to.
type ActionResource struct {
	Name     string `json:"name"`
	Required bool   `json:"required,omitempty"`
	// ConditionKeys the action supports on this resource type only.
	ConditionKeys []string `json:"conditionKeys,omitempty"`
}

// ResourceType is a kind of resource and the format of its ARNs, with
// ${Partition}, ${Region}, ${Account} and resource-specific ${Variables}.
type ResourceType struct {
	Name          string   `json:"name"`
	ARN           string   `json:"arn"`
	ConditionKeys []string `json:"conditionKeys,omitempty"`
}

// ConditionKey is a condition key the service defines. A key containing
// ${Variable} ("aws:ResourceTag/${TagKey}") stands for every key with any
// text in its place.
type ConditionKey struct {
	Name string `json:"name"`
	// Type is the reference's data type: String, ArrayOfString, ARN,
	// ArrayOfARN, Bool, ArrayOfBool, Numeric, Date, IPAddress.
	Type string `json:"type,omitempty"`
}

// Action returns the named action (any case).
func (s *Service) Action(name string) (*Action, bool) {
	i, ok := s.actions[strings.ToLower(name)]
	if !ok {
		return nil, false
	}
	return &s.Actions[i], true
}

// ResourceType returns the named resource type (any case).
func (s *Service) ResourceType(name string) (*ResourceType, bool) {
	i, ok := s.resources[strings.ToLower(name)]
	if !ok {
		return nil, false
	}
	return &s.ResourceTypes[i], true
}

// HasConditionKey reports whether the service defines the key (any case),
// directly or through a ${Variable} pattern.
func (s *Service) HasConditionKey(key string) bool {
	for _, k := range s.keys {
		if k.match(key) {
			return true
		}
	}
	return false
}

// index builds the lookup maps; it runs once before a Service is shared.
func (s *Service) index() {
	s.actions = make(map[string]int, len(s.Actions))
	for i, a := range s.Actions {
		s.actions[strings.ToLower(a.Name)] = i
	}
	s.resources = make(map[string]int, len(s.ResourceTypes))
	for i, r := range s.ResourceTypes {
		s.resources[strings.ToLower(r.Name)] = i
	}
	s.keys = make([]keyPattern, len(s.ConditionKeys))
	for i, k := range s.ConditionKeys {
		s.keys[i] = compileKey(k.Name)
	}
}

// Limits on a custom service definition, so that one definition cannot
// exhaust memory or make validation slow.
const (
	MaxDefinitionSize = 1 << 20
	maxNameLen        = 256
	maxActions        = 5000
	maxResourceTypes  = 1000
	maxConditionKeys  = 2000
)

// DefinitionError is a problem with a custom service definition; its
// message is safe to show to the author.
type DefinitionError struct{ Msg string }

func (e *DefinitionError) Error() string { return e.Msg }

func defErr(format string, args ...any) error {
	return &DefinitionError{Msg: fmt.Sprintf(format, args...)}
}

// ParseDefinition reads and checks a custom service definition (the JSON
// form of Service). It rejects unknown fields, duplicates, malformed
// names, malformed ARN formats, condition keys of other services, and references to
// resource types or condition keys the definition does not declare (global
// aws: keys excepted). Errors are *DefinitionError.
func ParseDefinition(data []byte) (*Service, error) {
	if len(data) > MaxDefinitionSize {
		return nil, defErr("definition is larger than %d bytes", MaxDefinitionSize)
	}
	// Stored as submitted, so it must be text every backend can hold
	// (PostgreSQL's text refuses invalid UTF-8).
	if !utf8.Valid(data) {
		return nil, defErr("definition is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Service
	if err := dec.Decode(&s); err != nil {
		return nil, defErr("definition is not valid JSON: %s", jsonProblem(err))
	}
	if dec.More() {
		return nil, defErr("definition has content after the JSON object")
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	s.index()
	return &s, nil
}

// jsonProblem words a decoding error without echoing the input.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at offset %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be %s", typ.Field, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ")
	case errors.Is(err, io.EOF):
		return "empty document"
	}
	return "unexpected end or malformed document"
}

// ValidPrefix reports whether p can be a service prefix: lower-case
// letters, digits and hyphens, starting with a letter, as AWS's are.
func ValidPrefix(p string) bool {
	if p == "" || len(p) > 64 || p[0] < 'a' || p[0] > 'z' {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validActionName: IAM action names are letters and digits (AWS's own use
// no other characters), which keeps them free of the wildcard characters.
func validActionName(n string) bool {
	if n == "" || len(n) > 128 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func validText(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return false
		}
	}
	return true
}

var keyTypes = map[string]bool{
	"String": true, "ArrayOfString": true, "ARN": true, "ArrayOfARN": true, "Bool": true,
	"ArrayOfBool": true, "Numeric": true, "ArrayOfNumeric": true, "Date": true, "ArrayOfDate": true,
	"IPAddress": true, "ArrayOfIPAddress": true, "Binary": true, "ArrayOfBinary": true,
}

var accessLevels = map[string]bool{
	"List": true, "Read": true, "Write": true, "Permissions management": true, "Tagging": true,
}

func (s *Service) check() error {
	if !ValidPrefix(s.Prefix) {
		return defErr("prefix %q is not valid: use lower-case letters, digits and hyphens, starting with a letter (at most 64)", clip(s.Prefix))
	}
	if !validText(s.Name, maxNameLen) {
		return defErr("name is required (printable text, at most %d characters)", maxNameLen)
	}
	if len(s.Actions) == 0 {
		return defErr("a service needs at least one action")
	}
	if len(s.Actions) > maxActions || len(s.ResourceTypes) > maxResourceTypes || len(s.ConditionKeys) > maxConditionKeys {
		return defErr("too many entries: at most %d actions, %d resource types and %d condition keys",
			maxActions, maxResourceTypes, maxConditionKeys)
	}
	keys := map[string]bool{}
	for _, k := range s.ConditionKeys {
		pfx, _, ok := strings.Cut(k.Name, ":")
		if !ok || !validText(k.Name, maxNameLen) || strings.ContainsAny(k.Name, " *?") {
			return defErr("condition key %q is not valid: use prefix:Name", clip(k.Name))
		}
		if !strings.EqualFold(pfx, s.Prefix) && !strings.EqualFold(pfx, "aws") {
			return defErr("condition key %q must start with %q", clip(k.Name), s.Prefix+":")
		}
		if k.Type != "" && !keyTypes[k.Type] {
			return defErr("condition key %q has unknown type %q", clip(k.Name), clip(k.Type))
		}
		l := strings.ToLower(k.Name)
		if keys[l] {
			return defErr("condition key %q is defined twice", clip(k.Name))
		}
		keys[l] = true
	}
	declared := func(where, key string) error {
		if keys[strings.ToLower(key)] {
			return nil
		}
		if strings.HasPrefix(strings.ToLower(key), "aws:") && IsGlobalConditionKey(key) {
			return nil
		}
		return defErr("%s uses condition key %q, which is neither declared in conditionKeys nor a global aws: key", where, clip(key))
	}
	resources := map[string]bool{}
	for _, r := range s.ResourceTypes {
		// AWS's own resource type names include spaces ("code signing
		// config"), so only wildcard and control characters are refused.
		if !validText(r.Name, 128) || strings.ContainsAny(r.Name, "*?") {
			return defErr("resource type name %q is not valid: printable text without wildcards, at most 128 characters", clip(r.Name))
		}
		l := strings.ToLower(r.Name)
		if resources[l] {
			return defErr("resource type %q is defined twice", r.Name)
		}
		resources[l] = true
		if err := checkARNFormat(s.Prefix, r.ARN); err != nil {
			return defErr("resource type %q: %s", r.Name, err)
		}
		for _, k := range r.ConditionKeys {
			if err := declared("resource type "+strconvQuote(r.Name), k); err != nil {
				return err
			}
		}
	}
	actions := map[string]bool{}
	for _, a := range s.Actions {
		if !validActionName(a.Name) {
			return defErr("action name %q is not valid: use letters, digits, hyphens and underscores", clip(a.Name))
		}
		l := strings.ToLower(a.Name)
		if actions[l] {
			return defErr("action %q is defined twice (names are case-insensitive)", a.Name)
		}
		actions[l] = true
		for _, lv := range strings.Split(a.AccessLevel, ", ") {
			if !accessLevels[lv] {
				return defErr("action %q: accessLevel must be List, Read, Write, Permissions management or Tagging", a.Name)
			}
		}
		seen := map[string]bool{}
		for _, r := range a.ResourceTypes {
			l := strings.ToLower(r.Name)
			if !resources[l] {
				return defErr("action %q names resource type %q, which is not defined", a.Name, clip(r.Name))
			}
			if seen[l] {
				return defErr("action %q names resource type %q twice", a.Name, r.Name)
			}
			seen[l] = true
			for _, k := range r.ConditionKeys {
				if err := declared("action "+strconvQuote(a.Name), k); err != nil {
					return err
				}
			}
		}
		for _, k := range a.ConditionKeys {
			if err := declared("action "+strconvQuote(a.Name), k); err != nil {
				return err
			}
		}
		for _, d := range a.DependentActions {
			p, n, ok := strings.Cut(d, ":")
			if !ok || !ValidPrefix(strings.ToLower(p)) || !validActionName(n) {
				return defErr("action %q: dependent action %q is not service:Action", a.Name, clip(d))
			}
		}
	}
	return nil
}

// checkARNFormat accepts arn:${Partition}:<prefix>:<region>:<account>:<resource>
// where region and account are empty, literal or ${Region}/${Account}.
func checkARNFormat(prefix, f string) error {
	if len(f) > 1024 || !validText(f, 1024) {
		return errors.New("arn is required (at most 1024 characters)")
	}
	parts := strings.SplitN(f, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return errors.New("arn must be arn:${Partition}:service:region:account:resource")
	}
	if parts[1] != "${Partition}" && parts[1] != "aws" {
		return errors.New("arn partition must be ${Partition}")
	}
	// AWS's services sometimes name another service's ARNs (s3 lists
	// s3-object-lambda access points), so any valid prefix is accepted.
	if !ValidPrefix(parts[2]) {
		return fmt.Errorf("arn service %q is not a valid service prefix", clip(parts[2]))
	}
	if parts[5] == "" {
		return errors.New("arn needs a resource part")
	}
	if strings.ContainsAny(f, "*?") {
		return errors.New("arn format cannot contain wildcards; use ${Variables}")
	}
	if strings.Count(f, "${") != strings.Count(f, "}") {
		return errors.New("arn format has an unbalanced ${Variable}")
	}
	return nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }
