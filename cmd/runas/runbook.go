package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ssm-runas/ssm-runas/internal/atomicfile"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/runbook"
)

func newRunbookCommand() *cobra.Command {
	var path, out string
	cmd := &cobra.Command{
		Use:   "runbook --config FILE [--out FILE]",
		Short: "Write the console-only steps, filled in from the configuration, as Markdown",
		Long: `runbook writes the steps no API can do, in order, with the values of this
configuration: switching Identity Center's identity source to Entra ID with the
stripped metadata, turning on automatic provisioning and storing the SCIM
token, mapping the attribute, writing the role values, recreating account
assignments after an identity source change (the IAM SAML provider is
deleted), and verifying one person end to end.`,
		Example: `  runas runbook --config examples/per-role/runas.yaml --out RUNBOOK.md`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadConfig(cmd, path)
			if err != nil {
				return err
			}
			md, err := runbook.Markdown(c, path)
			if err != nil {
				return problem(err)
			}
			if out == "" || out == "-" {
				_, err := cmd.OutOrStdout().Write(md)
				return err
			}
			if err := atomicfile.Write(out, md, 0o644); err != nil {
				return problem(fmt.Errorf("writing %s: %w", out, err))
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", out)
			return nil
		},
	}
	configFlag(cmd, &path)
	cmd.Flags().StringVar(&out, "out", "", "where to write the runbook (default stdout)")
	return cmd
}
