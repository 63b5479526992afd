package storetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

// rekeyTests check RekeyTx, which master-key rotation relies on to walk
// every sealed value in batches and replace each one without losing a
// concurrent write.
var rekeyTests = []test{
	{"SealedValuesPaging", testSealedValuesPaging},
	{"ReplaceSealed", testReplaceSealed},
	{"ReplaceSealedFeedsChanges", testReplaceSealedFeedsChanges},
	{"ReplaceSealedInView", testReplaceSealedInView},
}

// rekeyFixture stores 5 access keys, 3 MFA devices and 2 server
// certificates, created out of owner order, and returns their sealed values
// by kind, ordered by owner.
func rekeyFixture(t *testing.T, s iam.Store) map[iam.SealedKind][]iam.SealedValue {
	alice := newUser(1, 1, "alice")
	want := map[iam.SealedKind][]iam.SealedValue{}
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "CreateAccount", tx.CreateAccount(newAccount(1)))
		noErr(t, "CreateUser", tx.CreateUser(alice))
		for _, n := range []int{4, 2, 5, 1, 3} {
			k := newKey(1, n, alice.ID)
			if n%2 == 0 {
				k.UserID = "" // root keys, whose user_id is NULL
			}
			noErr(t, "CreateAccessKey", tx.CreateAccessKey(k))
		}
		for _, name := range []string{"phone", "backup", "laptop"} {
			d := &iam.MFADevice{SerialNumber: "arn:aws:iam::" + accountID(1) + ":mfa/" + name, AccountID: accountID(1), Name: name,
				Path: "/", SealedSeed: []byte("seed-" + name + "\x00\xff"), CreateDate: at(0)}
			noErr(t, "CreateMFADevice", tx.CreateMFADevice(d))
		}
		for _, n := range []int{2, 1} {
			c := &iam.ServerCertificate{ID: fmt.Sprintf("ASCA%017d", n), AccountID: accountID(1), Name: fmt.Sprintf("cert%d", n), Path: "/",
				Body: "body", SealedPrivateKey: []byte{0, 0xff, byte(n)}, UploadDate: at(0), Expiration: at(time.Hour)}
			noErr(t, "CreateServerCertificate", tx.CreateServerCertificate(c))
		}
		return nil
	})
	for n := 1; n <= 5; n++ {
		want[iam.SealedAccessKeySecret] = append(want[iam.SealedAccessKeySecret],
			iam.SealedValue{Owner: keyID(n), Sealed: newKey(1, n, "").SealedSecret})
	}
	for _, name := range []string{"backup", "laptop", "phone"} {
		want[iam.SealedMFASeed] = append(want[iam.SealedMFASeed],
			iam.SealedValue{Owner: "arn:aws:iam::" + accountID(1) + ":mfa/" + name, Sealed: []byte("seed-" + name + "\x00\xff")})
	}
	for n := 1; n <= 2; n++ {
		want[iam.SealedServerCertKey] = append(want[iam.SealedServerCertKey],
			iam.SealedValue{Owner: fmt.Sprintf("ASCA%017d", n), Sealed: []byte{0, 0xff, byte(n)}})
	}
	return want
}

func sealedEqual(t *testing.T, call string, got, want []iam.SealedValue) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].Owner == want[i].Owner && bytes.Equal(got[i].Sealed, want[i].Sealed)
	}
	if !ok {
		t.Errorf("%s = %q, want %q", call, got, want)
	}
}

func testSealedValuesPaging(t *testing.T, s iam.Store) {
	want := rekeyFixture(t, s)
	view(t, s, func(tx iam.Tx) error {
		for _, kind := range iam.SealedKinds {
			all, err := tx.SealedValues(kind, "", 100)
			noErr(t, "SealedValues("+string(kind)+")", err)
			sealedEqual(t, "SealedValues("+string(kind)+", all)", all, want[kind])
			// Pages of 2 resume after the last owner and cover the
			// same values exactly once.
			var paged []iam.SealedValue
			after := ""
			for range 10 {
				page, err := tx.SealedValues(kind, after, 2)
				noErr(t, "SealedValues(page)", err)
				if len(page) > 2 {
					t.Fatalf("SealedValues(%s, %q, 2) returned %d values", kind, after, len(page))
				}
				paged = append(paged, page...)
				if len(page) < 2 {
					break
				}
				after = page[len(page)-1].Owner
			}
			sealedEqual(t, "SealedValues("+string(kind)+", pages of 2)", paged, want[kind])
		}
		if _, err := tx.SealedValues("nosuchkind", "", 10); err == nil {
			t.Error("SealedValues(unknown kind) succeeded, want an error")
		}
		return nil
	})
}

func testReplaceSealed(t *testing.T, s iam.Store) {
	want := rekeyFixture(t, s)
	var before *iam.AccessKey
	view(t, s, func(tx iam.Tx) error {
		var err error
		before, err = tx.AccessKey(keyID(3))
		noErr(t, "AccessKey", err)
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		for _, kind := range iam.SealedKinds {
			v := want[kind][0]
			ok, err := tx.ReplaceSealed(kind, v.Owner, v.Sealed, []byte("new-"+v.Owner))
			if err != nil || !ok {
				t.Errorf("ReplaceSealed(%s, %s, current value) = %v, %v; want true, nil", kind, v.Owner, ok, err)
			}
			// The old value no longer matches: a rotation that read it
			// before a concurrent change must not overwrite the change.
			ok, err = tx.ReplaceSealed(kind, v.Owner, v.Sealed, []byte("stale"))
			if err != nil || ok {
				t.Errorf("ReplaceSealed(%s, %s, stale old value) = %v, %v; want false, nil", kind, v.Owner, ok, err)
			}
			ok, err = tx.ReplaceSealed(kind, "missing-owner", v.Sealed, []byte("x"))
			if err != nil || ok {
				t.Errorf("ReplaceSealed(%s, missing owner) = %v, %v; want false, nil", kind, ok, err)
			}
		}
		if _, err := tx.ReplaceSealed("nosuchkind", "x", nil, nil); err == nil {
			t.Error("ReplaceSealed(unknown kind) succeeded, want an error")
		}
		// Replacing one access key's value leaves its other fields alone.
		ok, err := tx.ReplaceSealed(iam.SealedAccessKeySecret, keyID(3), before.SealedSecret, []byte("resealed-3"))
		if err != nil || !ok {
			t.Errorf("ReplaceSealed(key 3) = %v, %v", ok, err)
		}
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		for _, kind := range iam.SealedKinds {
			got, err := tx.SealedValues(kind, "", 100)
			noErr(t, "SealedValues", err)
			exp := append([]iam.SealedValue(nil), want[kind]...)
			exp[0].Sealed = []byte("new-" + exp[0].Owner)
			if kind == iam.SealedAccessKeySecret {
				exp[2].Sealed = []byte("resealed-3")
			}
			sealedEqual(t, "SealedValues("+string(kind)+") after ReplaceSealed", got, exp)
		}
		after, err := tx.AccessKey(keyID(3))
		noErr(t, "AccessKey", err)
		b := *before
		b.SealedSecret = []byte("resealed-3")
		wantEqual(t, "AccessKey(3) after ReplaceSealed", after, &b)
		return nil
	})
}

// testReplaceSealedFeedsChanges: a resealed access-key secret must reach
// every node's credential index, like any other write to the key.
func testReplaceSealedFeedsChanges(t *testing.T, s iam.Store) {
	want := rekeyFixture(t, s)
	var rev int64
	view(t, s, func(tx iam.Tx) error {
		var err error
		rev, err = tx.Revision()
		noErr(t, "Revision", err)
		return nil
	})
	v := want[iam.SealedAccessKeySecret][1]
	update(t, s, func(tx iam.Tx) error {
		ok, err := tx.ReplaceSealed(iam.SealedAccessKeySecret, v.Owner, v.Sealed, []byte("resealed"))
		if err != nil || !ok {
			t.Errorf("ReplaceSealed = %v, %v", ok, err)
		}
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		cs, err := tx.Changes(rev, 10)
		noErr(t, "Changes", err)
		found := false
		for _, c := range cs {
			found = found || c.Kind == iam.ChangeAccessKey && c.ID == v.Owner
		}
		if !found {
			t.Errorf("Changes after ReplaceSealed(access key %s) = %s, want an accesskey change for it", v.Owner, showChanges(cs))
		}
		return nil
	})
}

func testReplaceSealedInView(t *testing.T, s iam.Store) {
	want := rekeyFixture(t, s)
	v := want[iam.SealedMFASeed][0]
	_ = s.View(ctx(t), func(tx iam.Tx) error {
		if ok, err := tx.ReplaceSealed(iam.SealedMFASeed, v.Owner, v.Sealed, []byte("x")); err == nil || ok {
			t.Errorf("ReplaceSealed in View = %v, %v; want an error", ok, err)
		}
		return nil
	})
}
