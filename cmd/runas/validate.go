package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/programs"
)

func newValidateCommand() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "validate --config FILE",
		Short: "Check a configuration and list every problem",
		Long: `validate reads the configuration, applies defaults and checks every rule:
the YAML's shape (unknown fields, duplicate keys, wrong types; anchors,
aliases and a second document are refused), identifiers (organization,
account, root and OU ids, regions of the partition; list regions launched
after this release in newRegions), Run As user names
(^[a-z_][a-z0-9_-]{0,31}$, never root), Session Manager limits (idle timeout
1-60 minutes, session duration 1-1440 minutes), session documents that go
around Run As (refused unless acknowledgeRisk: true), guardrail exemptions
(pinned to an account, or an exact role name the SCP then protects), and
whether the model has a stack program yet.

Every problem is printed on stderr on its own line as FILE: PATH "VALUE": RULE,
and the exit code is 1 when there is any. Warnings (sudo commands known to
give a root shell: pagers without NOEXEC, editors, interpreters, commands
without arguments; a role account that is also a reserved stock account)
are printed as FILE: warning: PATH "VALUE": RULE and do not fail.

The default guardrail.reservedUsers: ` + fmt.Sprint(settings.DefaultReservedUsers),
		Example: `  runas validate --config examples/per-role/runas.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := settings.Load(path)
			var list field.List
			if err != nil && !errors.As(err, &list) {
				return problem(err)
			}
			model := settings.Model("")
			if c != nil {
				model = c.Model
			} else if m, ok := modelOf(path, list); ok {
				model = m
			}
			if model != "" {
				if _, perr := programs.For(model); perr != nil {
					// programs.For names the model itself; the path says it already.
					rule := strings.TrimPrefix(perr.Error(), fmt.Sprintf("model %q ", model))
					list = append(list, field.Invalid("model", model, rule))
				}
			}
			if c != nil {
				for _, w := range c.Warnings() {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: warning: %s\n", path, w)
				}
			}
			if len(list) > 0 {
				return reportProblems(cmd, path, list)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid (model %s, %d targets, %d regions)\n",
				path, c.Model, len(c.Organization.Targets), len(c.Organization.Regions))
			return nil
		},
	}
	configFlag(cmd, &path)
	return cmd
}

// modelOf reads only the model of a configuration that failed to load, so
// validate can still say whether it has a stack program: a broken file of
// a model without one gets both reasons at once. Load has refused aliases
// and second documents by then.
func modelOf(path string, list field.List) (settings.Model, bool) {
	for _, e := range list {
		if e.Path == "model" {
			return "", false // the model itself is wrong, and reported
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	var top struct {
		Model settings.Model `yaml:"model"`
	}
	if yaml.Unmarshal(data, &top) != nil {
		return "", false
	}
	return top.Model, top.Model != ""
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
		return nil, reportProblems(cmd, path, list)
	}
	return nil, problem(err)
}

func reportProblems(cmd *cobra.Command, path string, list field.List) error {
	for _, p := range list {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", path, p)
	}
	return &exitError{code: exitProblem, err: fmt.Errorf("%s: %d problems", path, len(list)), printed: true}
}
