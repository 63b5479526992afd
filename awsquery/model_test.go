package awsquery

import (
	"encoding/xml"
	"sync"
	"testing"

	"github.com/iamd/iamd/awsmodel"
)

// A synthetic query model covering what the IAM and STS models do not use
// on input: maps, timestamps, blobs, doubles, longs, flattened lists and
// element locationNames.
const testModelJSON = `{
  "metadata": {"apiVersion": "2000-01-01", "endpointPrefix": "test", "protocol": "query",
               "serviceFullName": "Test", "xmlNamespace": "https://test.example/doc/2000-01-01/"},
  "operations": {
    "Everything": {"name": "Everything", "input": {"shape": "Everything"},
                   "output": {"shape": "Everything", "resultWrapper": "EverythingResult"}}
  },
  "shapes": {
    "Everything": {"type": "structure", "members": {
      "Ts": {"shape": "Ts"}, "Blob": {"shape": "Blob"}, "Dbl": {"shape": "Dbl"},
      "Long": {"shape": "Long"}, "Attrs": {"shape": "Attrs"}, "Flat": {"shape": "Flat"},
      "Named": {"shape": "Named"}}},
    "Ts": {"type": "timestamp"},
    "Blob": {"type": "blob", "max": 8},
    "Dbl": {"type": "double", "min": 0},
    "Long": {"type": "long"},
    "Attrs": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Int"}},
    "Flat": {"type": "list", "member": {"shape": "Str"}, "flattened": true},
    "Named": {"type": "list", "member": {"shape": "Str", "locationName": "item"}},
    "Str": {"type": "string", "min": 1},
    "Int": {"type": "integer"}
  }
}`

var (
	testSvcOnce sync.Once
	testSvc     *awsmodel.Service
	testSvcErr  error
)

func testService(t testing.TB) *awsmodel.Service {
	testSvcOnce.Do(func() { testSvc, testSvcErr = awsmodel.Parse("test", []byte(testModelJSON)) })
	if testSvcErr != nil {
		t.Fatal(testSvcErr)
	}
	return testSvc
}

func xmlUnmarshal(b []byte, v any) error { return xml.Unmarshal(b, v) }
