package iam

import (
	"errors"
	"fmt"
)

// Code is an AWS IAM/STS error code. Codes are append-only: clients match on
// them, so a code's meaning never changes once published.
type Code string

// Error codes iamd returns, spelled exactly as AWS spells them on the wire.
const (
	CodeAccessDenied           Code = "AccessDenied"
	CodeConcurrentModification Code = "ConcurrentModification"
	CodeDeleteConflict         Code = "DeleteConflict"
	CodeEntityAlreadyExists    Code = "EntityAlreadyExists"
	CodeInvalidInput           Code = "InvalidInput"
	CodeLimitExceeded          Code = "LimitExceeded"
	CodeMalformedPolicy        Code = "MalformedPolicyDocument"
	CodeNoSuchEntity           Code = "NoSuchEntity"
	CodeNotImplemented         Code = "NotImplemented"
	CodeServiceFailure         Code = "ServiceFailure"
	CodeValidationError        Code = "ValidationError"
)

// Error is a domain error with a client-safe message. Err, when set, is the
// underlying cause; it is for logs and is never sent to the client.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return string(e.Code) + ": " + e.Message + ": " + e.Err.Error()
	}
	return string(e.Code) + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the AWS code of err, or CodeServiceFailure for errors
// that are not *Error: anything unexpected is a server fault.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeServiceFailure
}

// Sentinel errors returned (wrapped) by Store implementations. The storetest
// suite asserts errors.Is on them for every backend.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)
