package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/iamd/iamd/server"
	"github.com/iamd/iamd/servicecatalog"
)

const serviceUsage = `usage: iamd service put FILE [--data-dir DIR]      create or replace a custom service (FILE "-": standard input)
       iamd service list [--data-dir DIR]          list custom services
       iamd service get PREFIX [--data-dir DIR]    print a custom service's definition
       iamd service delete PREFIX [--data-dir DIR] remove a custom service
       iamd service validate FILE [--type T]       validate a policy (T: IDENTITY_POLICY, RESOURCE_POLICY,
                                                   SERVICE_CONTROL_POLICY) against AWS's and the custom services
Every subcommand also takes --database URL (IAMD_DATABASE_URL) for a PostgreSQL deployment.
See docs/custom-services.md for the definition format.
`

// serviceCmd administers custom service definitions. Like "iamd account",
// it works on the data directory directly, as the operator, also while a
// server runs on it: the server applies the change from its change feed
// within seconds.
func serviceCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("service: want put, list, get, delete or validate\n%s", serviceUsage)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("service "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", envOr(getenv, "IAMD_DATA_DIR", defaultDataDir(getenv)), "data directory (IAMD_DATA_DIR)")
	masterKey := fs.String("master-key-file", getenv("IAMD_MASTER_KEY_FILE"), "master key file (IAMD_MASTER_KEY_FILE)")
	database := databaseFlag(fs, getenv)
	policyType := fs.String("type", "IDENTITY_POLICY", "policy type for validate")
	// The operand may come before or after the flags.
	var operand string
	if len(args) > 0 && (args[0] == "-" || args[0] != "" && args[0][0] != '-') {
		operand, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if operand == "" && fs.NArg() > 0 {
		operand = fs.Arg(0)
	}
	needOperand := map[string]string{"put": "FILE", "get": "PREFIX", "delete": "PREFIX", "validate": "FILE"}
	if what, ok := needOperand[sub]; ok && operand == "" {
		return fmt.Errorf("service %s: want %s\n%s", sub, what, serviceUsage)
	}
	if _, ok := needOperand[sub]; !ok && sub != "list" {
		return fmt.Errorf("service: unknown subcommand %q\n%s", sub, serviceUsage)
	}
	svc, closeStore, err := server.OpenService(ctx, server.Config{DataDir: *dataDir, MasterKeyFile: *masterKey, DatabaseURL: *database})
	if err != nil {
		return err
	}
	defer closeStore()
	switch sub {
	case "put":
		doc, err := readOperand(operand)
		if err != nil {
			return err
		}
		d, err := svc.PutServiceDefinition(ctx, nil, doc)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "service %s stored (created %s, updated %s)\n", d.Prefix,
			d.CreateDate.Format(time.RFC3339), d.UpdateDate.Format(time.RFC3339))
	case "list":
		defs, err := svc.ListServiceDefinitions(ctx, nil)
		if err != nil {
			return err
		}
		for _, d := range defs {
			name := ""
			if s, err := servicecatalog.ParseDefinition([]byte(d.Document)); err == nil {
				name = s.Name
			}
			fmt.Fprintf(stdout, "%s\t%s\t%s\n", d.Prefix, name, d.UpdateDate.Format(time.RFC3339))
		}
	case "get":
		d, err := svc.GetServiceDefinition(ctx, nil, operand)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, d.Document)
	case "delete":
		if err := svc.DeleteServiceDefinition(ctx, nil, operand); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "service %s deleted\n", operand)
	case "validate":
		doc, err := readOperand(operand)
		if err != nil {
			return err
		}
		findings, err := svc.ValidatePolicy(nil, string(doc), *policyType)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(findings); err != nil {
			return err
		}
		for _, f := range findings {
			if f.FindingType == servicecatalog.FindingError {
				return fmt.Errorf("service validate: the policy has errors")
			}
		}
	}
	return nil
}

// readOperand reads FILE, or standard input for "-". Definitions are
// capped at servicecatalog.MaxDefinitionSize; policies are far smaller.
func readOperand(name string) ([]byte, error) {
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, servicecatalog.MaxDefinitionSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b, nil
}
