package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ssm-runas/ssm-runas/internal/outfile"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/runbook"
)

func newRunbookCommand() *cobra.Command {
	var out string
	var s *setup
	cmd := &cobra.Command{
		Use:   "runbook --config FILE [--out FILE]",
		Short: "Write the console-only steps, filled in from the configuration, as Markdown",
		Long: `runbook writes the steps no API can do, in order, with the values of this
configuration: switching Identity Center's identity source to Entra ID with the
stripped metadata, turning on automatic provisioning and storing the SCIM
token, mapping the attribute, writing the role values, recreating account
assignments after an identity source change (the IAM SAML provider is
deleted), and verifying one person end to end.

For the per-user models it starts with the directory side (the join account,
the join secret in Secrets Manager and its cross-account access, DNS, hosts
with SSSD 2.7 or later, the managed policy the hosts' instance role attaches),
maps the lower-casing expression instead of writing role values, and checks
values with explain and audit.

--out replaces a regular file atomically and writes devices, pipes and
/dev/fd/N through; it refuses a directory and the configuration file itself.
Exit codes: 0 written; 1 the configuration is invalid or the output could not
be written; 2 the command was used wrongly.`,
		Example: `  runas runbook --config examples/per-role/runas.yaml --out RUNBOOK.md
  runas runbook --config examples/per-user/runas.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := s.configPath
			toStdout := out == "" || out == "-"
			if !toStdout {
				if fi, err := os.Stat(out); err == nil && fi.IsDir() {
					return usage("--out %s is a directory; name a file", out)
				}
				if err := outfile.CheckNotInput(out, path); err != nil {
					return usage("--out: %w", err)
				}
			}
			_, c, done, err := s.begin(cmd)
			if err != nil {
				return err
			}
			defer done()
			md, err := runbook.Markdown(c, path)
			if err != nil {
				return problem(err)
			}
			if toStdout {
				if _, err := cmd.OutOrStdout().Write(md); err != nil {
					return problem(fmt.Errorf("writing to stdout: %w", err))
				}
				return nil
			}
			if err := outfile.Write(out, md, 0o644); err != nil {
				return problem(fmt.Errorf("writing %s: %w", out, err))
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", out)
			return nil
		},
	}
	s = newSetup(cmd, setupOptions{})
	cmd.Flags().StringVar(&out, "out", "", "where to write the runbook (default stdout)")
	return cmd
}
