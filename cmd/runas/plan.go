package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/spf13/cobra"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
	"github.com/ssm-runas/ssm-runas/stacks/programs"
)

func newPlanCommand() *cobra.Command {
	var path, output string
	cmd := &cobra.Command{
		Use:   "plan --config FILE [--output table|json]",
		Short: "Preview every resource the stack would create, offline",
		Long: `plan runs the configured model's stack program (the same code 'pulumi up'
runs) under Pulumi's mocks and prints every resource it would create: type,
name, parent, provider and inputs. It needs no cloud and no credentials.

It builds the preferences writer Lambda from source (reproducibly) to show
its content-addressed S3 key, unless writer.zipPath is set.

JSON output: {"resources":[{"type":...,"name":...,"parent":...,"provider":...,"inputs":{...}}]},
sorted by type and name; inputs are what the provider would receive, with
secrets shown as "[secret]".`,
		Example: `  runas plan --config examples/per-role/runas.yaml
  runas plan --config examples/per-role/runas.yaml --output json | jq '.resources[].type'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, "table", "json"); err != nil {
				return err
			}
			c, err := loadConfig(cmd, path)
			if err != nil {
				return err
			}
			program, err := programs.For(c.Model)
			if err != nil {
				return problem(err)
			}
			// The plan is offline: a secret the stack needs is stood in for,
			// and shown as "[secret]" like any other.
			if os.Getenv(runas.SCIMTokenEnv) == "" {
				os.Setenv(runas.SCIMTokenEnv, "plan-placeholder")
				defer os.Unsetenv(runas.SCIMTokenEnv)
			}
			rows, err := pulumimock.Run(func(ctx *pulumi.Context) error { return program(ctx, c) })
			if err != nil {
				return problem(fmt.Errorf("planning %s: %w", path, err))
			}
			if output == "json" {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"resources": rows})
			}
			writePlanTable(cmd.OutOrStdout(), rows)
			fmt.Fprintf(cmd.ErrOrStderr(), "%d resources (model %s); nothing was deployed\n", len(rows), c.Model)
			return nil
		},
	}
	configFlag(cmd, &path)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// maxCell keeps table cells readable; the JSON output has every value.
const maxCell = 100

func writePlanTable(w io.Writer, rows []pulumimock.Row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tNAME\tPARENT\tPROVIDER\tKEY INPUTS")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Type, r.Name, dash(r.Parent), dash(r.Provider), keyInputs(r.Inputs))
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// keyInputs shows the short scalar inputs, and nested ones by their keys.
func keyInputs(in map[string]any) string {
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		switch v := in[k].(type) {
		case string:
			if len(v) <= maxCell && !strings.ContainsAny(v, "\n{") {
				parts = append(parts, k+"="+v)
			}
		case bool, int64, float64:
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		case []any:
			b, _ := json.Marshal(v)
			if len(b) <= maxCell {
				parts = append(parts, k+"="+string(b))
			}
		case map[string]any:
			b, _ := json.Marshal(v)
			if len(b) <= maxCell {
				parts = append(parts, k+"="+string(b))
			}
		}
	}
	return strings.Join(parts, " ")
}
