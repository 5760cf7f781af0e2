// Command runas previews, explains, audits and remediates the ssm-runas
// chain: Entra ID attribute, SCIM, IAM Identity Center ABAC, the
// SSMSessionRunAs session tag, and SSM Session Manager Run As in every
// account and region.
//
// Data goes to stdout, messages to stderr. Exit codes: 0 success, 1 the
// input or the checked state is wrong, 2 the command was used wrongly.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK      = 0
	exitProblem = 1
	exitUsage   = 2
)

// exitError carries an exit code with the error to print.
type exitError struct {
	code int
	err  error
	// printed is set when the command already wrote its problems.
	printed bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func problem(err error) error { return &exitError{code: exitProblem, err: err} }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the CLI with args and returns the exit code; tests call it
// directly.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if !ee.printed {
			fmt.Fprintf(stderr, "runas: %v\n", ee.err)
		}
		return ee.code
	}
	// Anything else comes from flag parsing or argument checks.
	fmt.Fprintf(stderr, "runas: %v (see runas --help)\n", err)
	return exitUsage
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "runas",
		Short: "Make every SSM Session Manager shell open as the right Linux user",
		Long: `runas previews, explains, audits and remediates the ssm-runas chain:

  Entra ID attribute --SCIM--> IAM Identity Center user --ABAC--> session tag SSMSessionRunAs
  --> ssm:StartSession --> shell as that Linux user

with Session Manager preferences (Run As on, one fallback user) in every
account and region, rolled out by a StackSet and locked by an SCP.

Most commands read one configuration file (see examples/per-role/runas.yaml).
Data goes to stdout, messages to stderr. Exit codes: 0 success, 1 the input or
the checked state is wrong, 2 the command was used wrongly.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(newValidateCommand(), newPlanCommand(), newExplainCommand(), newStackSetCommand(), newMetadataCommand(), newEntraCommand(), newRunbookCommand(), newAuditCommand(), newRemediateCommand(), newConnectCommand())
	return root
}

// checkOutput refuses an --output value outside allowed, as a usage error.
func checkOutput(output string, allowed ...string) error {
	for _, a := range allowed {
		if output == a {
			return nil
		}
	}
	return &exitError{code: exitUsage, err: fmt.Errorf("--output %q: must be %s", output, orList(allowed))}
}

func orList(items []string) string {
	switch len(items) {
	case 1:
		return items[0]
	case 2:
		return items[0] + " or " + items[1]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// configFlag registers the --config flag every command shares.
func configFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVarP(path, "config", "c", "", "configuration file (YAML), e.g. examples/per-role/runas.yaml (required)")
	_ = cmd.MarkFlagRequired("config")
}
