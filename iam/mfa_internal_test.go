package iam

import (
	"testing"

	"github.com/pquerna/otp"
)

func TestOTPAuthURI(t *testing.T) {
	uri := otpauthURI("111122223333", "my+phone", "JBSWY3DPEHPK3PXP")
	want := "otpauth://totp/Amazon%20Web%20Services:my%2Bphone@111122223333?issuer=Amazon%20Web%20Services&secret=JBSWY3DPEHPK3PXP"
	if uri != want {
		t.Fatalf("otpauthURI = %s\nwant %s", uri, want)
	}
	k, err := otp.NewKeyFromURL(uri)
	if err != nil {
		t.Fatal(err)
	}
	if k.Type() != "totp" || k.Secret() != "JBSWY3DPEHPK3PXP" || k.Issuer() != mfaIssuer || k.AccountName() != "my+phone@111122223333" {
		t.Fatalf("parsed %s: type %s secret %s issuer %q account %q", uri, k.Type(), k.Secret(), k.Issuer(), k.AccountName())
	}
}
