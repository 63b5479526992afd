package iam

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/iamd/iamd/keyring"
)

// MaxSessionLifetime is the longest an STS session token stays valid:
// GetSessionToken and GetFederationToken accept up to 129,600 seconds.
// Tokens are sealed with the keyring but never stored, so a key that has
// stopped sealing must stay in the key file this long for them to open.
const MaxSessionLifetime = 36 * time.Hour

// DefaultRekeyBatch is how many stored values one rotation transaction
// reads: small, so that servers sharing the database wait for the write
// lock for milliseconds only.
const DefaultRekeyBatch = 100

// maxRekeyPasses bounds the passes of a rotation. A second pass normally
// finds nothing; more mean something keeps sealing with an old key.
const maxRekeyPasses = 5

// RekeyOptions tune Rekey.
type RekeyOptions struct {
	// BatchSize is how many stored values each transaction reads (0:
	// DefaultRekeyBatch).
	BatchSize int
	// AfterBatch, when set, runs after each committed batch with the
	// number of batches committed so far; an error stops the rotation
	// there, exactly as an interruption would (tests use it).
	AfterBatch func(batches int) error
}

// RekeyResult reports what a Rekey did.
type RekeyResult struct {
	Resealed int // values re-encrypted under the current key
	Batches  int // transactions committed
	Passes   int
	// Unopenable names ("kind owner") the values that no key of the
	// keyring opens; they are left as they are.
	Unopenable []string
}

// Rekey re-encrypts every stored sealed value that is not sealed with the
// keyring's current key, in batches of one transaction each, replacing a
// value only if it did not change meanwhile (a concurrent write wins and
// the next pass looks at it again). It can run while servers use the
// store, and be interrupted at any point: every value is, at all times,
// sealed with a key of the key file, and a later Rekey carries on. It makes
// passes until one finds nothing left to do, so values sealed with the old
// key by a server that had not yet loaded the new one are caught too.
func Rekey(ctx context.Context, store Store, kr *keyring.Keyring, opts RekeyOptions) (RekeyResult, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultRekeyBatch
	}
	var res RekeyResult
	for res.Passes < maxRekeyPasses {
		res.Passes++
		current := kr.Current()
		changed := 0 // values re-encrypted or found changed in this pass
		res.Unopenable = res.Unopenable[:0]
		for _, kind := range SealedKinds {
			after := ""
			for {
				var (
					n, resealed, raced int
					bad                []string
					last               string
				)
				err := store.Update(ctx, func(tx Tx) error {
					n, resealed, raced, bad, last = 0, 0, 0, nil, after
					vals, err := tx.SealedValues(kind, after, opts.BatchSize)
					if err != nil {
						return err
					}
					n = len(vals)
					for _, v := range vals {
						last = v.Owner
						if id, ok := keyring.KeyID(v.Sealed); ok && id == current {
							continue
						}
						plain, err := kr.Open(v.Sealed, []byte(v.Owner))
						if err != nil {
							bad = append(bad, string(kind)+" "+v.Owner)
							continue
						}
						next := kr.Seal(plain, []byte(v.Owner))
						clear(plain)
						ok, err := tx.ReplaceSealed(kind, v.Owner, v.Sealed, next)
						if err != nil {
							return err
						}
						if ok {
							resealed++
						} else {
							raced++
						}
					}
					return nil
				})
				if err != nil {
					return res, fmt.Errorf("re-encrypt %s values after %q: %w", kind, after, err)
				}
				res.Batches++
				res.Resealed += resealed
				res.Unopenable = append(res.Unopenable, bad...)
				changed += resealed + raced
				after = last
				if opts.AfterBatch != nil {
					if err := opts.AfterBatch(res.Batches); err != nil {
						return res, err
					}
				}
				if n < opts.BatchSize {
					break
				}
			}
		}
		// Outbound federation signing keys live in the store's meta, not
		// in a table the kinds above walk (outbound.go).
		resealed, raced, bad, err := rekeyOutbound(ctx, store, kr)
		if err != nil {
			return res, fmt.Errorf("re-encrypt outbound federation keys: %w", err)
		}
		res.Resealed += resealed
		res.Unopenable = append(res.Unopenable, bad...)
		changed += resealed + raced
		if changed == 0 {
			return res, nil
		}
	}
	return res, errors.New("values sealed with an old key keep appearing: a server is still sealing with it " +
		"(does every server read this master key file?); run the rotation again once it has the new key")
}

// SealedCounts counts stored sealed values by the ID of the key that sealed
// them, and by kind. Key ID 0 counts values in no known format.
type SealedCounts map[uint32]map[SealedKind]int

// Total is the number of values sealed with key id.
func (c SealedCounts) Total(id uint32) int {
	n := 0
	for _, v := range c[id] {
		n += v
	}
	return n
}

// CountSealed reads every stored sealed value, batch by batch in read-only
// transactions, and counts them by key ID.
func CountSealed(ctx context.Context, store Store, batch int) (SealedCounts, error) {
	if batch <= 0 {
		batch = 1000
	}
	counts := SealedCounts{}
	for _, kind := range SealedKinds {
		after := ""
		for {
			var vals []SealedValue
			err := store.View(ctx, func(tx Tx) error {
				var err error
				vals, err = tx.SealedValues(kind, after, batch)
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("count %s values: %w", kind, err)
			}
			for _, v := range vals {
				id, _ := keyring.KeyID(v.Sealed)
				if counts[id] == nil {
					counts[id] = map[SealedKind]int{}
				}
				counts[id][kind]++
			}
			if len(vals) < batch {
				break
			}
			after = vals[len(vals)-1].Owner
		}
	}
	if err := countOutbound(ctx, store, counts); err != nil {
		return nil, fmt.Errorf("count outbound federation keys: %w", err)
	}
	return counts, nil
}

// metaRotation records the key a rotation re-encrypts to until it has
// finished, so that a rotation run again after an interruption carries on
// instead of adding yet another key.
const metaRotation = "keyring_rotation_target"

// RotationTarget returns the key ID of an unfinished rotation, or 0.
func RotationTarget(ctx context.Context, store Store) (uint32, error) {
	var id uint32
	err := store.View(ctx, func(tx Tx) error {
		v, err := tx.Meta(metaRotation)
		if isNotFound(err) || err == nil && v == "" {
			return nil
		}
		if err != nil {
			return err
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return fmt.Errorf("%s: bad value %q", metaRotation, v)
		}
		id = uint32(n)
		return nil
	})
	return id, err
}

// SetRotationTarget records (id > 0) or clears (id == 0) an unfinished
// rotation.
func SetRotationTarget(ctx context.Context, store Store, id uint32) error {
	v := ""
	if id != 0 {
		v = strconv.FormatUint(uint64(id), 10)
	}
	return store.Update(ctx, func(tx Tx) error { return tx.SetMeta(metaRotation, v) })
}
