package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/keyring"
)

// Test hooks: the clock that `keys` commands read (prune judges key ages
// with it), and a function run after each committed re-encryption batch,
// whose error interrupts the rotation as a crash would.
var (
	keysNow         = time.Now
	rekeyAfterBatch func(batches int) error
)

// keysCmd runs `iamd keys rotate|status|prune` on the data directory's
// master key file and database, also while servers run on them.
func keysCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("keys: want rotate, status or prune\n%s", usage)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", envOr(getenv, "IAMD_DATA_DIR", defaultDataDir(getenv)), "data directory (IAMD_DATA_DIR)")
	keyFile := fs.String("master-key-file", getenv("IAMD_MASTER_KEY_FILE"), "master key file; default DATA_DIR/master.key (IAMD_MASTER_KEY_FILE)")
	database := databaseFlag(fs, getenv)
	batch := fs.Int("batch-size", iam.DefaultRekeyBatch, "rotate: stored secrets re-encrypted per transaction")
	settle := fs.Duration("settle", keyring.ReloadInterval+time.Second, "rotate: wait this long after adding the key before re-encrypting, so running servers have loaded it")
	addOnly := fs.Bool("add-only", false, "rotate: only add the new key; a later `iamd keys rotate` re-encrypts (copy the key file to every node in between)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("keys %s: unexpected arguments: %v", sub, fs.Args())
	}
	if *keyFile == "" {
		*keyFile = filepath.Join(*dataDir, "master.key")
	}
	switch sub {
	case "rotate", "status", "prune":
	default:
		return fmt.Errorf("keys: unknown subcommand %q", sub)
	}
	if _, err := os.Stat(*keyFile); err != nil {
		return fmt.Errorf("keys: master key file: %w", err)
	}
	db, err := openStore(ctx, *database, *dataDir)
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	defer db.Close()
	switch sub {
	case "rotate":
		return keysRotate(ctx, db, *keyFile, *batch, *settle, *addOnly, stdout)
	case "status":
		return keysStatus(ctx, db, *keyFile, stdout)
	default:
		return keysPrune(ctx, db, *keyFile, stdout)
	}
}

// keysRotate adds a key (unless an interrupted rotation is to be resumed)
// and re-encrypts every stored secret under it.
func keysRotate(ctx context.Context, store iam.Store, path string, batch int, settle time.Duration, addOnly bool, stdout io.Writer) error {
	unlock, err := keyring.Lock(path)
	if err != nil {
		return err
	}
	defer unlock()
	kr, err := keyring.Load(path)
	if err != nil {
		return err
	}
	target, err := iam.RotationTarget(ctx, store)
	if err != nil {
		return err
	}
	if target != 0 && target == kr.Current() {
		fmt.Fprintf(stdout, "resuming the unfinished rotation to key %d\n", target)
	} else {
		id, err := keyring.AddKey(path, keysNow())
		if err != nil {
			return fmt.Errorf("add key: %w", err)
		}
		if err := kr.Reload(); err != nil {
			return err
		}
		if err := iam.SetRotationTarget(ctx, store, id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added key %d to %s; it seals new secrets from now on\n", id, path)
	}
	if addOnly {
		fmt.Fprintln(stdout, "run `iamd keys rotate` to re-encrypt the stored secrets")
		return nil
	}
	current := kr.Current()
	var created time.Time
	for _, k := range kr.Keys() {
		if k.ID == current {
			created = k.Created
		}
	}
	if wait := created.Add(settle).Sub(keysNow()); wait > 0 {
		fmt.Fprintf(stdout, "waiting %s for running servers to load key %d\n", wait.Round(time.Second), current)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	res, err := iam.Rekey(ctx, store, kr, iam.RekeyOptions{BatchSize: batch, AfterBatch: rekeyAfterBatch})
	fmt.Fprintf(stdout, "re-encrypted %d stored secrets in %d batches\n", res.Resealed, res.Batches)
	if err != nil {
		return fmt.Errorf("rotation to key %d stopped: %w; every secret still opens, run `iamd keys rotate` again to finish", current, err)
	}
	if len(res.Unopenable) > 0 {
		return fmt.Errorf("rotation to key %d incomplete: %d stored secrets open with no key of %s (%s)",
			current, len(res.Unopenable), path, strings.Join(res.Unopenable[:min(5, len(res.Unopenable))], ", "))
	}
	if err := iam.SetRotationTarget(ctx, store, 0); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "done: every stored secret is sealed with key %d; `iamd keys prune` can remove the old keys %.0f hours after key %d was added\n",
		current, iam.MaxSessionLifetime.Hours(), current)
	return nil
}

var kindNames = map[iam.SealedKind]string{
	iam.SealedAccessKeySecret: "access keys",
	iam.SealedMFASeed:         "MFA seeds",
	iam.SealedServerCertKey:   "certificate keys",
	iam.SealedOutboundKey:     "outbound federation signing keys",
}

func describeCounts(c map[iam.SealedKind]int) string {
	var parts []string
	// Outbound federation keys are counted apart from the stored kinds
	// (iam/outbound.go).
	for _, k := range slices.Concat(iam.SealedKinds, []iam.SealedKind{iam.SealedOutboundKey}) {
		if c[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[k], kindNames[k]))
		}
	}
	return strings.Join(parts, ", ")
}

// keysStatus prints the keys and how many stored secrets each seals.
func keysStatus(ctx context.Context, store iam.Store, path string, stdout io.Writer) error {
	kr, err := keyring.Load(path)
	if err != nil {
		return err
	}
	counts, err := iam.CountSealed(ctx, store, 0)
	if err != nil {
		return err
	}
	target, err := iam.RotationTarget(ctx, store)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "master key file: %s\n", path)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tCREATED\tSTATE\tSECRETS\t")
	known := map[uint32]bool{}
	for _, k := range kr.Keys() {
		known[k.ID] = true
		created, state := "-", "old"
		if !k.Created.IsZero() {
			created = k.Created.Format(time.RFC3339)
		}
		if k.Current {
			state = "current"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", k.ID, created, state, counts.Total(k.ID), describeCounts(counts[k.ID]))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var missing []uint32
	for id := range counts {
		if !known[id] {
			missing = append(missing, id)
		}
	}
	slices.Sort(missing)
	for _, id := range missing {
		if id == 0 {
			fmt.Fprintf(stdout, "WARNING: %d stored secrets are in no known sealed format\n", counts.Total(0))
			continue
		}
		fmt.Fprintf(stdout, "WARNING: %d stored secrets are sealed with key %d, which is not in the key file: they cannot be opened\n", counts.Total(id), id)
	}
	if target != 0 {
		fmt.Fprintf(stdout, "rotation to key %d unfinished: run `iamd keys rotate` to finish it\n", target)
	}
	return nil
}

// keysPrune removes the old keys that nothing needs any more: no stored
// secret is sealed with them, and they stopped sealing longer ago than an
// STS session token lives.
func keysPrune(ctx context.Context, store iam.Store, path string, stdout io.Writer) error {
	unlock, err := keyring.Lock(path)
	if err != nil {
		return err
	}
	defer unlock()
	keys, err := keyring.ReadFile(path)
	if err != nil {
		return err
	}
	if target, err := iam.RotationTarget(ctx, store); err != nil {
		return err
	} else if target != 0 {
		return fmt.Errorf("keys prune: refused: the rotation to key %d is unfinished; run `iamd keys rotate` first", target)
	}
	counts, err := iam.CountSealed(ctx, store, 0)
	if err != nil {
		return err
	}
	now := keysNow()
	// A key stops sealing when the next one is added; a server may go on
	// sealing with it until its next check of the file.
	minAge := iam.MaxSessionLifetime + keyring.ReloadInterval
	var prune []uint32
	var refused []string
	for i, k := range keys[:len(keys)-1] {
		retired := keys[i+1].Created
		switch {
		case counts.Total(k.ID) > 0:
			refused = append(refused, fmt.Sprintf("key %d still seals %d stored secrets (%s): run `iamd keys rotate`",
				k.ID, counts.Total(k.ID), describeCounts(counts[k.ID])))
		case retired.IsZero():
			refused = append(refused, fmt.Sprintf("key %d: the file does not record when key %d replaced it, so STS session tokens sealed with it may still be valid",
				k.ID, keys[i+1].ID))
		case now.Sub(retired) < minAge:
			refused = append(refused, fmt.Sprintf("key %d stopped sealing at %s: STS session tokens sealed with it may be valid until %s",
				k.ID, retired.Format(time.RFC3339), retired.Add(minAge).Format(time.RFC3339)))
		default:
			prune = append(prune, k.ID)
		}
	}
	if len(prune) > 0 {
		if err := keyring.RemoveKeys(path, prune); err != nil {
			return err
		}
		// A secret sealed with a pruned key between the count and the
		// rewrite would be lost: look again, and put the keys back if so.
		again, err := iam.CountSealed(ctx, store, 0)
		if err != nil {
			return errors.Join(err, keyring.WriteFile(path, keys))
		}
		for _, id := range prune {
			if again.Total(id) > 0 {
				if err := keyring.WriteFile(path, keys); err != nil {
					return err
				}
				return fmt.Errorf("keys prune: refused: key %d sealed %d new secrets meanwhile (a server has an old key file?); nothing removed", id, again.Total(id))
			}
		}
		for _, id := range prune {
			fmt.Fprintf(stdout, "removed key %d\n", id)
		}
	}
	for _, r := range refused {
		fmt.Fprintf(stdout, "kept %s\n", r)
	}
	if len(refused) > 0 {
		return fmt.Errorf("keys prune: refused to remove %d old keys", len(refused))
	}
	if len(prune) == 0 {
		fmt.Fprintln(stdout, "nothing to prune: the key file holds only the current key")
	}
	return nil
}
