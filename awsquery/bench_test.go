package awsquery

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/iamd/iamd/awsmodel"
)

func BenchmarkDecode(b *testing.B) {
	op := awsmodel.IAM().Operations["CreateUser"]
	f := form(b, "Action=CreateUser&Version=2010-05-08&UserName=bob&Path=%2Fdivision_abc%2F"+
		"&Tags.member.1.Key=Dept&Tags.member.1.Value=Engineering&Tags.member.2.Key=CostCenter&Tags.member.2.Value=12345")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(op, f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeGetUser(b *testing.B) {
	op := awsmodel.IAM().Operations["GetUser"]
	f := form(b, "Action=GetUser&Version=2010-05-08&UserName=bob")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(op, f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteResponse(b *testing.B) {
	iam := awsmodel.IAM()
	b.Run("GetUser", func(b *testing.B) {
		op := iam.Operations["GetUser"]
		res := Struct{"User": testUser("bob")}
		var buf bytes.Buffer
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			if err := WriteResponse(&buf, iam, op, res, testRequestID); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(buf.Len()))
	})
	b.Run("ListUsers100", func(b *testing.B) {
		op := iam.Operations["ListUsers"]
		users := make([]any, 100)
		for i := range users {
			users[i] = testUser("user" + strconv.Itoa(i))
		}
		res := Struct{"Users": users, "IsTruncated": true, "Marker": "next"}
		var buf bytes.Buffer
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			if err := WriteResponse(&buf, iam, op, res, testRequestID); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(buf.Len()))
	})
}

func BenchmarkWriteError(b *testing.B) {
	iam := awsmodel.IAM()
	e := ErrorFor(iam, "NoSuchEntity", "The user with name bob cannot be found.")
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		WriteError(&buf, iam, e, testRequestID)
	}
}
