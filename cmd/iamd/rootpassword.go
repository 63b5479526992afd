package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/iamd/iamd/server"
)

// The password comes from standard input, never from arguments, which
// other users can read in the process list. Tests replace these.
var (
	passwordInput io.Reader = os.Stdin
	// passwordTerminal reports whether standard input is a terminal, and
	// its descriptor, so the password can be read without echo.
	passwordTerminal = func() (int, bool) {
		fd := int(os.Stdin.Fd())
		return fd, term.IsTerminal(fd)
	}
	readNoEcho = term.ReadPassword
)

// maxPasswordInput bounds what is read from standard input: AWS passwords
// have at most 128 characters, so more is a mistake (a file piped in).
const maxPasswordInput = 1024

// rootPasswordCmd runs `iamd root-password --account ID`: it sets the root
// user's console password, read from standard input, with AWS's rules for
// root passwords, and never prints it.
func rootPasswordCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("root-password", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", envOr(getenv, "IAMD_DATA_DIR", defaultDataDir(getenv)), "data directory (IAMD_DATA_DIR)")
	keyFile := fs.String("master-key-file", getenv("IAMD_MASTER_KEY_FILE"), "master key file (IAMD_MASTER_KEY_FILE)")
	accountID := fs.String("account", "", "12-digit ID of the account whose root password to set (required)")
	database := databaseFlag(fs, getenv)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return errors.New("root-password: the password is read from standard input, not from arguments")
	}
	if *accountID == "" {
		return errors.New("root-password: --account is required")
	}
	password, err := readPassword(stderr)
	if err != nil {
		return fmt.Errorf("root-password: %w", err)
	}
	svc, closeStore, err := server.OpenService(ctx, server.Config{DataDir: *dataDir, MasterKeyFile: *keyFile, DatabaseURL: *database})
	if err != nil {
		return err
	}
	defer closeStore()
	if svc.Account(*accountID) == nil {
		return fmt.Errorf("root-password: no account %s in %s", *accountID, *dataDir)
	}
	if err := svc.SetRootPassword(ctx, *accountID, password); err != nil {
		return fmt.Errorf("root-password: %w", err)
	}
	fmt.Fprintf(stdout, "root password set for account %s\n", *accountID)
	return nil
}

// readPassword reads the password: twice and without echo from a terminal,
// else the first line of standard input (only the line break is removed:
// spaces may belong to the password).
func readPassword(prompt io.Writer) (string, error) {
	if fd, ok := passwordTerminal(); ok {
		fmt.Fprint(prompt, "New root password: ")
		p1, err := readNoEcho(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
		fmt.Fprint(prompt, "Retype the password: ")
		p2, err := readNoEcho(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
		if string(p1) != string(p2) {
			return "", errors.New("the passwords do not match")
		}
		if len(p1) == 0 {
			return "", errors.New("empty password")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(io.LimitReader(passwordInput, maxPasswordInput+1)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if len(line) > maxPasswordInput {
		return "", fmt.Errorf("standard input is longer than %d bytes; want one line holding the password", maxPasswordInput)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}
