// Command library shows ssm-runas used as a Go library, with no Pulumi and
// no AWS account: it loads a configuration, shows what one account's
// preferences document becomes when the preferences are applied over what
// the console saved there, and prints the SCP that locks it.
//
//	go run ./examples/library examples/per-role/runas.yaml
package main

import (
	"fmt"
	"os"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// consoleSaved is a document someone saved in the console: S3 logging on,
// Run As off.
const consoleSaved = `{"schemaVersion":"1.0","sessionType":"Standard_Stream",
 "inputs":{"s3BucketName":"team-bucket","runAsEnabled":false,"runAsDefaultUser":""}}`

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: library CONFIG")
		os.Exit(2)
	}
	cfg, err := settings.Load(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	saved, err := sessiondoc.Parse([]byte(consoleSaved))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	decision := sessiondoc.Decide(sessiondoc.Current{Default: &saved}, &cfg.SessionPreferences)
	changes := decision.Changes
	fmt.Printf("a console-saved document would be %s:\n", decision.Action)
	for _, c := range changes {
		fmt.Printf("  %-40s %s -> %s\n", c.Input, c.Got, c.Want)
	}
	scp, err := policy.GuardrailSCP(cfg.GuardrailSCPArgs())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("\nthe SCP:\n%s", scp.Indented())
}
