package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func newValidateCommand() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "validate --config FILE",
		Short: "Check a configuration and list every problem",
		Long: `validate reads the configuration, applies defaults and checks every rule:
identifiers (organization, account, root and OU ids, regions), Run As user
names (^[a-z_][a-z0-9_-]{0,31}$, never root), Session Manager limits (idle
timeout 1-60 minutes, session duration 1-1440 minutes), and unknown fields.

Every problem is printed on its own line as FILE: PATH "VALUE": RULE, and the
exit code is 1 when there is any.`,
		Example: `  runas validate --config examples/per-role/runas.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadConfig(cmd, path)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid (model %s, %d targets, %d regions)\n",
				path, c.Model, len(c.Organization.Targets), len(c.Organization.Regions))
			return nil
		},
	}
	configFlag(cmd, &path)
	return cmd
}

// loadConfig loads path and, when it breaks rules, prints every problem on
// its own line to stderr and returns an exit-1 error.
func loadConfig(cmd *cobra.Command, path string) (*settings.Config, error) {
	c, err := settings.Load(path)
	if err == nil {
		return c, nil
	}
	var list field.List
	if errors.As(err, &list) {
		for _, p := range list {
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", path, p)
		}
		return nil, &exitError{code: exitProblem, err: fmt.Errorf("%s: %d problems", path, len(list)), printed: true}
	}
	return nil, problem(err)
}
