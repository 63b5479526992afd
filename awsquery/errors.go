package awsquery

import (
	"bytes"

	"github.com/iamd/iamd/awsmodel"
)

// Error is an AWS Query protocol error response.
type Error struct {
	Code    string
	Message string
	Status  int  // HTTP status
	Sender  bool // <Type>Sender</Type> (client fault) vs Receiver
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// commonErrors are the codes IAM and STS return that their models do not
// declare: protocol-level and authentication errors.
//
// Statuses come from the IAM API Reference "Common Error Types" page
// (docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html):
// AccessDenied(Exception) 403, ExpiredToken(Exception) 403,
// IncompleteSignature 400, InternalFailure 500, InvalidParameterCombination
// 400, InvalidParameterValue 400, InvalidQueryParameter 400, MissingAction 400,
// MissingParameter 400, NotAuthorized 400, OptInRequired 403, RequestExpired
// 400, ServiceUnavailable 503, Throttling(Exception) 400, ValidationError 400;
// and from the older shared "Common Errors" page found in many AWS API
// references: InvalidAction 400, InvalidClientTokenId 403,
// MalformedQueryString 404, MissingAuthenticationToken 403.
// SignatureDoesNotMatch is 403 as every SigV4 service returns it (not on
// those pages). The wire codes are those IAM and STS actually send:
// "AccessDenied", "Throttling", "ExpiredToken" (the *Exception spellings are
// accepted too). ServiceFailure is IAM's modelled 500 and is listed for STS.
// NotImplemented is iamd's own: 501, Receiver, since the server lacks the
// feature.
var commonErrors = map[string]int{
	"AccessDenied":                403,
	"AccessDeniedException":       403,
	"ExpiredToken":                403,
	"ExpiredTokenException":       403,
	"IncompleteSignature":         400,
	"InternalFailure":             500,
	"InvalidAction":               400,
	"InvalidClientTokenId":        403,
	"InvalidParameterCombination": 400,
	"InvalidParameterValue":       400,
	"InvalidQueryParameter":       400,
	"MalformedQueryString":        404,
	"MissingAction":               400,
	"MissingAuthenticationToken":  403,
	"MissingParameter":            400,
	"NotAuthorized":               400,
	"NotImplemented":              501,
	"OptInRequired":               403,
	"RequestExpired":              400,
	"ServiceFailure":              500,
	"ServiceUnavailable":          503,
	"SignatureDoesNotMatch":       403,
	"Throttling":                  400,
	"ThrottlingException":         400,
	"ValidationError":             400,
}

// ErrorFor builds the error for code with its HTTP status and fault type:
// from svc's modelled exception shapes first (NoSuchEntity 404,
// EntityAlreadyExists 409, ...), then from the common-error table. Unknown
// codes are reported as 400 Sender errors. svc may be nil.
func ErrorFor(svc *awsmodel.Service, code, message string) *Error {
	if svc != nil {
		if sh := svc.ErrorByCode(code); sh != nil {
			return &Error{Code: code, Message: message, Status: sh.ErrorStatus, Sender: sh.SenderFault}
		}
	}
	status, ok := commonErrors[code]
	if !ok {
		status = 400
	}
	return &Error{Code: code, Message: message, Status: status, Sender: status < 500}
}

// InvalidAction is the error for an Action the service does not have, worded
// as IAM/STS word it.
func InvalidAction(svc *awsmodel.Service, action string) *Error {
	return ErrorFor(svc, "InvalidAction", "Could not find operation "+action+" for version "+svc.APIVersion)
}

// NotImplemented is iamd's error for a modelled operation it does not serve.
func NotImplemented(action string) *Error {
	return ErrorFor(nil, "NotImplemented", "iamd does not implement "+action+" yet")
}

// WriteError appends the Query protocol error document for e to buf, in the
// layout IAM and STS use (IAM User Guide / API Reference error samples):
//
//	<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
//	  <Error>
//	    <Type>Sender</Type>
//	    <Code>NoSuchEntity</Code>
//	    <Message>The user with name bob cannot be found.</Message>
//	  </Error>
//	  <RequestId>...</RequestId>
//	</ErrorResponse>
//
// svc may be nil (errors raised before the service is known), in which case
// the xmlns attribute is left out.
func WriteError(buf *bytes.Buffer, svc *awsmodel.Service, e *Error, requestID string) {
	buf.Write(AppendError(buf.AvailableBuffer(), svc, e, requestID))
}

// AppendError is WriteError for a byte slice.
func AppendError(b []byte, svc *awsmodel.Service, e *Error, requestID string) []byte {
	b = append(b, "<ErrorResponse"...)
	if svc != nil {
		b = append(b, ` xmlns="`...)
		b = append(b, svc.XMLNamespace...)
		b = append(b, '"')
	}
	b = append(b, ">\n  <Error>\n    <Type>"...)
	if e.Sender {
		b = append(b, "Sender"...)
	} else {
		b = append(b, "Receiver"...)
	}
	b = append(b, "</Type>\n    <Code>"...)
	b = appendEscaped(b, e.Code)
	b = append(b, "</Code>\n"...)
	// AWS leaves the element out when an error has no message (the
	// credential report's ReportNotPresent, ReportExpired, ReportInProgress):
	// botocore then reports "Unknown", as the aws CLI does against AWS,
	// where an empty element would make it print "None".
	if e.Message != "" {
		b = append(b, "    <Message>"...)
		b = appendEscaped(b, e.Message)
		b = append(b, "</Message>\n"...)
	}
	b = append(b, "  </Error>\n  <RequestId>"...)
	b = appendEscaped(b, requestID)
	return append(b, "</RequestId>\n</ErrorResponse>\n"...)
}
