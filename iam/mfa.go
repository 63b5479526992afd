package iam

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	qrcode "github.com/skip2/go-qrcode"
)

// Virtual MFA devices implement TOTP (RFC 6238): HMAC-SHA1, six digits,
// 30-second steps, as every authenticator app does by default.
const (
	totpPeriod = 30
	// seedBytes is the seed's size: 40 bytes are the 64 base32 characters
	// of the seeds IAM issues.
	seedBytes = 40
	// totpWindow is the accepted drift, in steps, either side of the
	// device's expected step; resyncWindow the wider search of
	// ResyncMFADevice.
	totpWindow   = 1
	resyncWindow = 20
	// mfaIssuer labels the otpauth URI, as IAM's QR codes do.
	mfaIssuer = "Amazon Web Services"
)

var totpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

func (s *Service) quotaMFAPerUser() int { return quota(s.quotas.MFADevicesPerUser, 8) }

var errInvalidAuthCode = Errorf(CodeInvalidAuthenticationCode, "Authentication code for device is not valid.")

func noSuchMFADevice(serial string) error {
	return Errorf(CodeNoSuchEntity, "MFA Device with serial number %s does not exist.", serial)
}

func noSuchVirtualMFADevice(serial string) error {
	return Errorf(CodeNoSuchEntity, "VirtualMFADevice with serial number %s doesn't exist.", serial)
}

// mfaSerial returns the serial number (ARN) of a virtual MFA device.
func mfaSerial(account, path, name string) string { return entityARN(account, "mfa", path, name) }

// TOTPCode returns the code of seed (base32) at time step step.
func TOTPCode(seed string, step int64) (string, error) {
	return hotp.GenerateCodeCustom(seed, uint64(step), totpOpts)
}

func timeStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// NewVirtualMFADevice is a created device with its seed and QR code, shown
// exactly once.
type NewVirtualMFADevice struct {
	Device           *MFADevice
	Base32StringSeed string
	QRCodePNG        []byte
}

// CreateVirtualMFADeviceInput is CreateVirtualMFADevice's input.
type CreateVirtualMFADeviceInput struct {
	Name string
	Path string
	Tags []Tag
}

// CreateVirtualMFADevice creates an unassigned virtual MFA device with a
// fresh seed, sealed at rest under the keyring.
func (s *Service) CreateVirtualMFADevice(ctx context.Context, p *Principal, in CreateVirtualMFADeviceInput) (*NewVirtualMFADevice, error) {
	if in.Path == "" {
		in.Path = "/"
	}
	serial := mfaSerial(p.AccountID, in.Path, in.Name)
	if err := s.authorizeWith(p, "iam:CreateVirtualMFADevice", serial, &authzKeys{requestTags: in.Tags}); err != nil {
		return nil, err
	}
	tags, err := s.mergeTagsExact(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	raw := make([]byte, seedBytes)
	if _, err := rand.Read(raw); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	seed := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)
	png, err := qrcode.Encode(otpauthURI(p.AccountID, in.Name, seed), qrcode.Medium, 256)
	if err != nil {
		return nil, internal(err)
	}
	d := &MFADevice{SerialNumber: serial, AccountID: p.AccountID, Name: in.Name, Path: in.Path, CreateDate: s.clock(),
		SealedSeed: s.keyring.Seal([]byte(seed), []byte(serial)), Tags: tags}
	err = s.update(ctx, func(tx Tx) error {
		all, err := tx.MFADevices(p.AccountID)
		if err != nil {
			return err
		}
		// IAM's quota: virtual MFA devices (assigned or not) in an account
		// are limited to the account's user quota.
		if len(all) >= s.quotas.UsersPerAccount {
			return Errorf(CodeLimitExceeded, "Cannot exceed quota for VirtualMFADevicesPerAccount: %d", s.quotas.UsersPerAccount)
		}
		if err := tx.CreateMFADevice(d); err != nil {
			if isExists(err) {
				return Errorf(CodeEntityAlreadyExists, "MFADevice entity at the same path and name already exists.")
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &NewVirtualMFADevice{Device: d, Base32StringSeed: seed, QRCodePNG: png}, nil
}

// otpauthURI is the key URI authenticator apps read from the QR code
// (Google Authenticator's "Key Uri Format").
func otpauthURI(account, name, seed string) string {
	label := mfaIssuer + ":" + name + "@" + account
	v := url.Values{}
	v.Set("secret", seed)
	v.Set("issuer", mfaIssuer)
	// Spaces as %20, not "+", which some apps read literally.
	return "otpauth://totp/" + strings.ReplaceAll(url.PathEscape(label), "+", "%2B") + "?" +
		strings.ReplaceAll(v.Encode(), "+", "%20")
}

// seedOf opens a device's sealed seed.
func (s *Service) seedOf(d *MFADevice) (string, error) {
	b, err := s.keyring.Open(d.SealedSeed, []byte(d.SerialNumber))
	if err != nil {
		return "", internal(err)
	}
	return string(b), nil
}

// matchPair finds the step s in [from, to] where code1 is the code of s
// and code2 that of s+1; ok false when there is none.
func matchPair(seed, code1, code2 string, from, to int64) (int64, bool, error) {
	for st := from; st <= to; st++ {
		c1, err := TOTPCode(seed, st)
		if err != nil {
			return 0, false, err
		}
		if c1 != code1 {
			continue
		}
		c2, err := TOTPCode(seed, st+1)
		if err != nil {
			return 0, false, err
		}
		if c2 == code2 {
			return st, true, nil
		}
	}
	return 0, false, nil
}

// mfaOwner resolves the user an MFA operation is about: the named user,
// or the caller (an IAM user, or root for its own devices) when name is
// empty. It returns the owner ID devices record (the account ID for root),
// the display name and the ARN authorized against.
func (s *Service) mfaOwner(tx Tx, p *Principal, action, name string) (ownerID, display, arn string, err error) {
	u, arn, err := s.keyOwner(tx, p, action, name)
	if err != nil {
		return "", "", "", err
	}
	if u == nil {
		return p.AccountID, p.AccountID, arn, nil
	}
	return u.ID, u.Name, arn, nil
}

// deviceOf finds a device of the caller's account.
func deviceOf(tx Tx, p *Principal, serial string, missing func(string) error) (*MFADevice, error) {
	d, err := tx.MFADevice(serial)
	if isNotFound(err) || err == nil && d.AccountID != p.AccountID {
		return nil, missing(serial)
	}
	return d, err
}

// EnableMFADevice assigns a virtual MFA device to a user (to the calling
// root user when userName is empty and the caller is root) after checking
// two consecutive codes.
func (s *Service) EnableMFADevice(ctx context.Context, p *Principal, userName, serial, code1, code2 string) error {
	return s.update(ctx, func(tx Tx) error {
		owner, _, _, err := s.mfaOwner(tx, p, "iam:EnableMFADevice", userName)
		if err != nil {
			return err
		}
		d, err := deviceOf(tx, p, serial, noSuchMFADevice)
		if err != nil {
			return err
		}
		if d.Assigned() {
			return Errorf(CodeEntityAlreadyExists, "MFA Device is already in use.")
		}
		inUse, err := tx.UserMFADevices(p.AccountID, owner)
		if err != nil {
			return err
		}
		if len(inUse) >= s.quotaMFAPerUser() {
			return Errorf(CodeLimitExceeded, "Cannot exceed quota for MFADevicesInUsePerUser: %d", s.quotaMFAPerUser())
		}
		// code2 may be the current step give or take the window.
		st, _, err := s.matchDevicePair(d, code1, code2, totpWindow)
		if err != nil {
			return err
		}
		d.UserID, d.EnableDate, d.LastStep, d.Drift = owner, s.clock(), st+1, 0
		return tx.UpdateMFADevice(d)
	})
}

// matchDevicePair finds two consecutive codes of d's seed with the second
// within window steps of now, refusing steps already spent. It returns the
// first code's step and the current step.
func (s *Service) matchDevicePair(d *MFADevice, code1, code2 string, window int64) (step, now int64, err error) {
	seed, err := s.seedOf(d)
	if err != nil {
		return 0, 0, err
	}
	now = timeStep(s.now())
	st, ok, err := matchPair(seed, code1, code2, now-1-window, now-1+window)
	if err != nil {
		return 0, 0, internal(err)
	}
	if !ok || st+1 <= d.LastStep {
		return 0, 0, errInvalidAuthCode
	}
	return st, now, nil
}

// ResyncMFADevice resynchronizes an assigned device whose clock drifted:
// two consecutive codes are searched for in a wider window and the offset
// found is used from then on.
func (s *Service) ResyncMFADevice(ctx context.Context, p *Principal, userName, serial, code1, code2 string) error {
	return s.update(ctx, func(tx Tx) error {
		owner, _, _, err := s.mfaOwner(tx, p, "iam:ResyncMFADevice", userName)
		if err != nil {
			return err
		}
		d, err := deviceOf(tx, p, serial, noSuchMFADevice)
		if err != nil {
			return err
		}
		if d.UserID != owner {
			return noSuchMFADevice(serial)
		}
		st, now, err := s.matchDevicePair(d, code1, code2, resyncWindow)
		if err != nil {
			return err
		}
		d.LastStep, d.Drift = st+1, st+1-now
		return tx.UpdateMFADevice(d)
	})
}

// DeactivateMFADevice unassigns a device from its user (the caller when
// userName is empty); the device is kept and can be enabled again.
func (s *Service) DeactivateMFADevice(ctx context.Context, p *Principal, userName, serial string) error {
	return s.update(ctx, func(tx Tx) error {
		owner, _, _, err := s.mfaOwner(tx, p, "iam:DeactivateMFADevice", userName)
		if err != nil {
			return err
		}
		d, err := deviceOf(tx, p, serial, noSuchMFADevice)
		if err != nil {
			return err
		}
		if d.UserID != owner {
			return noSuchMFADevice(serial)
		}
		d.UserID, d.EnableDate, d.Drift = "", time.Time{}, 0
		return tx.UpdateMFADevice(d)
	})
}

// DeleteVirtualMFADevice deletes an unassigned virtual MFA device.
func (s *Service) DeleteVirtualMFADevice(ctx context.Context, p *Principal, serial string) error {
	return s.update(ctx, func(tx Tx) error {
		d, err := s.deviceForAction(tx, p, "iam:DeleteVirtualMFADevice", serial, nil)
		if err != nil {
			return err
		}
		if d.Assigned() {
			return Errorf(CodeDeleteConflict, "MFA Device is in use and cannot be deleted. Deactivate it first.")
		}
		return tx.DeleteMFADevice(d.SerialNumber)
	})
}

// MFADeviceResult is a device with the name of the user it is assigned to
// (the account ID for the root user).
type MFADeviceResult struct {
	Device   *MFADevice
	UserName string
	User     *User // nil when unassigned or assigned to root
	Root     bool  // assigned to the root user
}

// ListMFADevices lists the devices assigned to a user (the caller when
// userName is empty), ordered by enable date.
func (s *Service) ListMFADevices(ctx context.Context, p *Principal, userName string, in ListInput) (Page[*MFADeviceResult], error) {
	var out Page[*MFADeviceResult]
	err := s.store.View(ctx, func(tx Tx) error {
		owner, display, _, err := s.mfaOwner(tx, p, "iam:ListMFADevices", userName)
		if err != nil {
			return err
		}
		ds, err := tx.UserMFADevices(p.AccountID, owner)
		if err != nil {
			return err
		}
		items := make([]*MFADeviceResult, len(ds))
		for i, d := range ds {
			items[i] = &MFADeviceResult{Device: d, UserName: display, Root: owner == p.AccountID}
		}
		out, err = pageByID(items, in, mfaMarkerID)
		return err
	})
	return out, internal(err)
}

// mfaMarkerID stands for a device in markers. A serial number can be an
// ARN with a 512-character path, too long for AWS's 320-character Marker,
// so markers carry a digest of it instead.
func mfaMarkerID(r *MFADeviceResult) string {
	sum := sha256.Sum256([]byte(r.Device.SerialNumber))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// Assignment statuses of ListVirtualMFADevices.
const (
	AssignmentAssigned   = "Assigned"
	AssignmentUnassigned = "Unassigned"
	AssignmentAny        = "Any"
)

// ListVirtualMFADevices lists the account's virtual MFA devices by
// assignment status (empty: Any), ordered by serial number.
func (s *Service) ListVirtualMFADevices(ctx context.Context, p *Principal, status string, in ListInput) (Page[*MFADeviceResult], error) {
	if err := s.authorize(p, "iam:ListVirtualMFADevices", mfaSerial(p.AccountID, "/", "")); err != nil {
		return Page[*MFADeviceResult]{}, err
	}
	var out Page[*MFADeviceResult]
	err := s.store.View(ctx, func(tx Tx) error {
		ds, err := tx.MFADevices(p.AccountID)
		if err != nil {
			return err
		}
		var items []*MFADeviceResult
		for _, d := range ds {
			switch {
			case status == AssignmentAssigned && !d.Assigned(), status == AssignmentUnassigned && d.Assigned():
				continue
			}
			r, err := s.mfaResult(tx, d)
			if err != nil {
				return err
			}
			items = append(items, r)
		}
		out, err = pageByID(items, in, mfaMarkerID)
		return err
	})
	return out, internal(err)
}

func (s *Service) mfaResult(tx Tx, d *MFADevice) (*MFADeviceResult, error) {
	r := &MFADeviceResult{Device: d}
	switch {
	case !d.Assigned():
	case d.UserID == d.AccountID:
		r.Root, r.UserName = true, d.AccountID
	default:
		u, err := tx.UserByID(d.UserID)
		if err != nil {
			return nil, err
		}
		r.User, r.UserName = u, u.Name
	}
	return r, nil
}

// GetMFADevice returns a device assigned to a user (the caller when
// userName is empty).
func (s *Service) GetMFADevice(ctx context.Context, p *Principal, userName, serial string) (*MFADeviceResult, error) {
	var out *MFADeviceResult
	err := s.store.View(ctx, func(tx Tx) error {
		owner, display, _, err := s.mfaOwner(tx, p, "iam:GetMFADevice", userName)
		if err != nil {
			return err
		}
		d, err := deviceOf(tx, p, serial, noSuchMFADevice)
		if err != nil {
			return err
		}
		if d.UserID != owner {
			return noSuchMFADevice(serial)
		}
		out = &MFADeviceResult{Device: d, UserName: display, Root: owner == p.AccountID}
		return nil
	})
	return out, internal(err)
}

// deviceForAction loads a virtual MFA device and authorizes action on its
// serial with the device's tags added to extra (nil: no other keys). The
// authorization comes first, as it did before the device was loaded.
func (s *Service) deviceForAction(tx Tx, p *Principal, action, serial string, extra *authzKeys) (*MFADevice, error) {
	d, err := deviceOf(tx, p, serial, noSuchVirtualMFADevice)
	var k authzKeys
	if extra != nil {
		k = *extra
	}
	if err == nil {
		k.resourceTags = d.Tags
	}
	if aerr := s.authorizeWith(p, action, serial, &k); aerr != nil {
		return nil, aerr
	}
	return d, err
}

// modifyMFATags changes a device's tags.
func (s *Service) modifyMFATags(ctx context.Context, p *Principal, action, serial string, extra *authzKeys, change func(*MFADevice) error) error {
	return s.update(ctx, func(tx Tx) error {
		d, err := s.deviceForAction(tx, p, action, serial, extra)
		if err != nil {
			return err
		}
		if err := change(d); err != nil {
			return err
		}
		return tx.UpdateMFADevice(d)
	})
}

// TagMFADevice adds or overwrites tags on a virtual MFA device.
func (s *Service) TagMFADevice(ctx context.Context, p *Principal, serial string, tags []Tag) error {
	return s.modifyMFATags(ctx, p, "iam:TagMFADevice", serial, &authzKeys{requestTags: tags}, func(d *MFADevice) error {
		merged, err := s.mergeTagsExact(d.Tags, tags)
		if err != nil {
			return err
		}
		d.Tags = merged
		return nil
	})
}

// UntagMFADevice removes tags by key; missing keys are ignored.
func (s *Service) UntagMFADevice(ctx context.Context, p *Principal, serial string, keys []string) error {
	return s.modifyMFATags(ctx, p, "iam:UntagMFADevice", serial, &authzKeys{tagKeys: keys}, func(d *MFADevice) error {
		d.Tags = removeTagsExact(d.Tags, keys)
		return nil
	})
}

// ListMFADeviceTags lists a virtual MFA device's tags.
func (s *Service) ListMFADeviceTags(ctx context.Context, p *Principal, serial string, in ListInput) (Page[Tag], error) {
	var out Page[Tag]
	err := s.store.View(ctx, func(tx Tx) error {
		d, err := s.deviceForAction(tx, p, "iam:ListMFADeviceTags", serial, nil)
		if err != nil {
			return err
		}
		out, err = pageTags(d.Tags, in)
		return err
	})
	return out, internal(err)
}

// MFAVerification is the outcome of VerifyMFA.
type MFAVerification struct {
	Valid     bool
	AccountID string
	// UserID is the device's user: a user ID, or the account ID when the
	// device is the root user's.
	UserID string
}

// VerifyMFA checks a code from an assigned device, for STS and console
// sign-in. A code is accepted within one step of the device's (resynced)
// clock and never twice: each accepted step and every step before it are
// spent. Unknown devices, unassigned devices and wrong or replayed codes
// all give Valid false.
func (s *Service) VerifyMFA(ctx context.Context, serial, code string) (MFAVerification, error) {
	return s.verifyMFA(ctx, serial, code, nil)
}

// verifyCallerMFA is the Service's mfaVerifier: the code must come from a
// device assigned to the caller (an IAM user, or root). AWS's wordings
// are quoted in github.com/aws/aws-cli issue 6325.
func (s *Service) verifyCallerMFA(ctx context.Context, p *Principal, serial, code string) error {
	owned := false
	v, err := s.verifyMFA(ctx, serial, code, func(d *MFADevice) bool {
		owned = d.AccountID == p.AccountID && (p.Type == PrincipalUser || p.Type == PrincipalRoot) && d.UserID == p.UserID
		return owned
	})
	if err != nil {
		return err
	}
	if !owned {
		return Errorf(CodeAccessDenied, "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.")
	}
	if !v.Valid {
		return Errorf(CodeAccessDenied, "MultiFactorAuthentication failed with invalid MFA one time pass code. ")
	}
	return nil
}

// verifyMFA is VerifyMFA for a device that, when owner is set, owner
// accepts; a refused device's codes are not spent.
func (s *Service) verifyMFA(ctx context.Context, serial, code string, owner func(*MFADevice) bool) (MFAVerification, error) {
	var out MFAVerification
	if len(code) != 6 {
		if owner != nil {
			// Still report whether the device is the caller's.
			_ = s.store.View(ctx, func(tx Tx) error {
				if d, err := tx.MFADevice(serial); err == nil && d.Assigned() {
					owner(d)
				}
				return nil
			})
		}
		return out, nil
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		d, err := tx.MFADevice(serial)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if !d.Assigned() || owner != nil && !owner(d) {
			return nil
		}
		seed, err := s.seedOf(d)
		if err != nil {
			return err
		}
		now := timeStep(s.now()) + d.Drift
		for st := now - totpWindow; st <= now+totpWindow; st++ {
			if st <= d.LastStep {
				continue
			}
			c, err := TOTPCode(seed, st)
			if err != nil {
				return err
			}
			if c == code {
				d.LastStep = st
				out = MFAVerification{Valid: true, AccountID: d.AccountID, UserID: d.UserID}
				return tx.UpdateMFADevice(d)
			}
		}
		return nil
	})
	if err != nil {
		return MFAVerification{}, internal(err)
	}
	return out, nil
}
