package iam

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
)

// PrefixSSHPublicKey starts SSH public key IDs, as AWS issues them.
const PrefixSSHPublicKey = "APKA"

// Public key encodings of GetSSHPublicKey.
const (
	EncodingSSH = "SSH"
	EncodingPEM = "PEM"
)

// minSSHKeyBits is the smallest RSA key IAM accepts for CodeCommit.
const minSSHKeyBits = 2048

func (s *Service) quotaSSHKeys() int { return quota(s.quotas.SSHPublicKeysPerUser, 5) }

var (
	errUnrecognizedKey = Errorf("UnrecognizedPublicKeyEncoding",
		"The request was rejected because the public key encoding format is unsupported or unrecognized.")
	errInvalidKey = Errorf("InvalidPublicKey",
		"The request was rejected because the public key is malformed or otherwise invalid.")
)

// parseSSHPublicKey reads an ssh-rsa key in OpenSSH (authorized_keys) or
// PEM (PKIX or PKCS #1) form, the two encodings IAM accepts.
func parseSSHPublicKey(body string) (*rsa.PublicKey, error) {
	body = strings.TrimSpace(body)
	switch {
	case strings.HasPrefix(body, "ssh-rsa ") || strings.HasPrefix(body, "ssh-rsa\t"):
		fields := strings.Fields(body)
		if len(fields) < 2 {
			return nil, errInvalidKey
		}
		blob, err := base64.StdEncoding.DecodeString(fields[1])
		if err != nil {
			return nil, errInvalidKey
		}
		return parseSSHRSABlob(blob)
	case strings.HasPrefix(body, "-----BEGIN"):
		block, _ := pem.Decode([]byte(body))
		if block == nil {
			return nil, errInvalidKey
		}
		var pub any
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		default:
			return nil, errUnrecognizedKey
		}
		if err != nil {
			return nil, errInvalidKey
		}
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return nil, errUnrecognizedKey
		}
		return k, nil
	}
	return nil, errUnrecognizedKey
}

// sshString reads one RFC 4251 string (uint32 length, bytes).
func sshString(b []byte) (field, rest []byte, err error) {
	if len(b) < 4 {
		return nil, nil, errors.New("short")
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return nil, nil, errors.New("short")
	}
	return b[4 : 4+n], b[4+n:], nil
}

func parseSSHRSABlob(blob []byte) (*rsa.PublicKey, error) {
	typ, rest, err := sshString(blob)
	if err != nil || string(typ) != "ssh-rsa" {
		return nil, errInvalidKey
	}
	e, rest, err := sshString(rest)
	if err != nil {
		return nil, errInvalidKey
	}
	n, rest, err := sshString(rest)
	if err != nil || len(rest) != 0 || len(e) == 0 || len(e) > 4 || len(n) == 0 || n[0]&0x80 != 0 {
		return nil, errInvalidKey
	}
	var exp int
	for _, c := range e {
		exp = exp<<8 | int(c)
	}
	if exp < 3 || exp%2 == 0 {
		return nil, errInvalidKey
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}, nil
}

func appendSSHString(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// sshMPInt is an RFC 4251 mpint: big-endian, with a leading zero byte when
// the top bit is set so the value stays positive.
func sshMPInt(x *big.Int) []byte {
	b := x.Bytes()
	if len(b) > 0 && b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return b
}

// sshWireBlob is the key in SSH wire format, the bytes fingerprints hash.
func sshWireBlob(k *rsa.PublicKey) []byte {
	var b []byte
	b = appendSSHString(b, []byte("ssh-rsa"))
	b = appendSSHString(b, sshMPInt(big.NewInt(int64(k.E))))
	b = appendSSHString(b, sshMPInt(k.N))
	return b
}

// sshFingerprint is IAM's fingerprint: the MD5 of the wire-format key as
// colon-separated hex, the form `ssh-keygen -E md5 -l` prints.
func sshFingerprint(k *rsa.PublicKey) string {
	sum := md5.Sum(sshWireBlob(k))
	var b bytes.Buffer
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(hex.EncodeToString([]byte{c}))
	}
	return b.String()
}

// EncodeSSHPublicKey renders a key in the encoding GetSSHPublicKey asks
// for.
func encodeSSHPublicKey(k *rsa.PublicKey, encoding string) (string, error) {
	if encoding == EncodingPEM {
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return "", err
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
	}
	return "ssh-rsa " + base64.StdEncoding.EncodeToString(sshWireBlob(k)), nil
}

func noSuchSSHKey(id string) error {
	return Errorf(CodeNoSuchEntity, "The Public Key with id %s cannot be found.", id)
}

// SSHKeyResult is an SSH public key with its owner's name.
type SSHKeyResult struct {
	Key      *SSHPublicKey
	UserName string
}

// UploadSSHPublicKey adds an SSH public key to a user.
func (s *Service) UploadSSHPublicKey(ctx context.Context, p *Principal, userName, body string) (*SSHKeyResult, error) {
	var out *SSHKeyResult
	err := s.update(ctx, func(tx Tx) error {
		u, err := s.userForAction(tx, p, "iam:UploadSSHPublicKey", userName)
		if err != nil {
			return err
		}
		pub, err := parseSSHPublicKey(body)
		if err != nil {
			return err
		}
		if pub.N.BitLen() < minSSHKeyBits {
			return errInvalidKey
		}
		keys, err := tx.SSHPublicKeys(u.ID)
		if err != nil {
			return err
		}
		fp := sshFingerprint(pub)
		for _, k := range keys {
			if k.Fingerprint == fp {
				return errDuplicateSSHKey
			}
		}
		if len(keys) >= s.quotaSSHKeys() {
			return Errorf(CodeLimitExceeded, "Cannot exceed quota for PublicKeysPerUser: %d", s.quotaSSHKeys())
		}
		k := &SSHPublicKey{ID: newID(PrefixSSHPublicKey, 17), AccountID: p.AccountID, UserID: u.ID, Body: body,
			Fingerprint: fp, Status: StatusActive, UploadDate: s.clock()}
		if err := tx.CreateSSHPublicKey(k); err != nil {
			if isExists(err) {
				return errDuplicateSSHKey
			}
			return err
		}
		out = &SSHKeyResult{Key: k, UserName: u.Name}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var errDuplicateSSHKey = Errorf("DuplicateSSHPublicKey",
	"The request was rejected because the SSH public key is already associated with the specified IAM user.")

// sshKeyOf finds the user's key inside tx.
func (s *Service) sshKeyOf(tx Tx, p *Principal, action, userName, id string) (*User, *SSHPublicKey, error) {
	u, err := s.userForAction(tx, p, action, userName)
	if err != nil {
		return nil, nil, err
	}
	k, err := tx.SSHPublicKey(id)
	if err != nil || k.UserID != u.ID {
		if err == nil || isNotFound(err) {
			return nil, nil, noSuchSSHKey(id)
		}
		return nil, nil, err
	}
	return u, k, nil
}

// GetSSHPublicKey returns a key in the requested encoding (SSH or PEM).
func (s *Service) GetSSHPublicKey(ctx context.Context, p *Principal, userName, id, encoding string) (*SSHKeyResult, error) {
	var out *SSHKeyResult
	err := s.store.View(ctx, func(tx Tx) error {
		u, k, err := s.sshKeyOf(tx, p, "iam:GetSSHPublicKey", userName, id)
		if err != nil {
			return err
		}
		pub, err := parseSSHPublicKey(k.Body)
		if err != nil {
			return err
		}
		if k.Body, err = encodeSSHPublicKey(pub, encoding); err != nil {
			return err
		}
		out = &SSHKeyResult{Key: k, UserName: u.Name}
		return nil
	})
	if err != nil {
		return nil, internal(err)
	}
	return out, nil
}

// ListSSHPublicKeys lists a user's keys (the caller's when userName is
// empty; the root user has none).
func (s *Service) ListSSHPublicKeys(ctx context.Context, p *Principal, userName string, in ListInput) (Page[*SSHKeyResult], error) {
	var out Page[*SSHKeyResult]
	err := s.store.View(ctx, func(tx Tx) error {
		u, _, err := s.keyOwner(tx, p, "iam:ListSSHPublicKeys", userName)
		if err != nil || u == nil {
			return err
		}
		keys, err := tx.SSHPublicKeys(u.ID)
		if err != nil {
			return err
		}
		items := make([]*SSHKeyResult, len(keys))
		for i, k := range keys {
			items[i] = &SSHKeyResult{Key: k, UserName: u.Name}
		}
		out, err = pageByID(items, in, func(r *SSHKeyResult) string { return r.Key.ID })
		return err
	})
	return out, internal(err)
}

// pageByID pages a list ordered by creation; the marker is the ID of the
// last item returned.
func pageByID[T any](items []T, in ListInput, id func(T) string) (Page[T], error) {
	start := 0
	if in.Marker != "" {
		after, err := decodeMarker(listingOf[T](), in.Marker)
		if err != nil {
			return Page[T]{}, err
		}
		start = len(items)
		for i, it := range items {
			if id(it) == after {
				start = i + 1
			}
		}
	}
	return page(items[start:], in.limit(), id), nil
}

func checkStatus(status string) error {
	if status != StatusActive && status != StatusInactive {
		return Errorf(CodeValidationError, "1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", status)
	}
	return nil
}

// UpdateSSHPublicKey activates or deactivates a key.
func (s *Service) UpdateSSHPublicKey(ctx context.Context, p *Principal, userName, id, status string) error {
	if err := checkStatus(status); err != nil {
		return err
	}
	return s.update(ctx, func(tx Tx) error {
		_, k, err := s.sshKeyOf(tx, p, "iam:UpdateSSHPublicKey", userName, id)
		if err != nil || k.Status == status {
			return err
		}
		k.Status = status
		return tx.UpdateSSHPublicKey(k)
	})
}

// DeleteSSHPublicKey deletes a key.
func (s *Service) DeleteSSHPublicKey(ctx context.Context, p *Principal, userName, id string) error {
	return s.update(ctx, func(tx Tx) error {
		_, k, err := s.sshKeyOf(tx, p, "iam:DeleteSSHPublicKey", userName, id)
		if err != nil {
			return err
		}
		return tx.DeleteSSHPublicKey(k.ID)
	})
}
