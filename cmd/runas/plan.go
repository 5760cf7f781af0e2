package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/spf13/cobra"

	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
	"github.com/ssm-runas/ssm-runas/stacks/programs"
)

// planBuild tunes the Lambda builds of `runas plan`; tests point it at a
// tree without the source.
var planBuild = artifact.BuildOptions{}

func newPlanCommand() *cobra.Command {
	var s *setup
	cmd := &cobra.Command{
		Use:   "plan --config FILE [--output table|json]",
		Short: "Preview every resource the stack would create, offline",
		Long: `plan runs the configured model's stack program (the same code 'pulumi up'
runs) under Pulumi's mocks and prints every resource it would create: type,
name, parent, provider, inputs and the options the engine acts on. It needs
no cloud and no credentials.

The plan shows the finished deployment: the SCIM token set and every role
group provisioned into Identity Center. A new organization gets there in
several 'pulumi up' runs; the deployment order is printed on stderr (and
under "deploymentOrder" in JSON).

It builds the preferences writer Lambda (reproducibly) to show its
content-addressed S3 key: from writer.zipPath when set (relative to the
configuration file), else from this module's source: the checkout, the
source path the binary was built from, or the module cache of the installed
version. Without any of them the writer is shown as not built. With a
broker section the session broker's zip is found the same way
(broker.zipPath) and its digest shown as the function's sourceCodeHash.

JSON output: {"resources":[{"type":...,"name":...,"parent":...,"provider":...,"inputs":{...},"options":{...}}],"deploymentOrder":[...]},
sorted by type and name; inputs are what the provider would receive, with
secrets shown as "[secret]".`,
		Example: `  runas plan --config examples/per-role/runas.yaml
  runas plan --config examples/per-role/runas.yaml --output json | jq '.resources[].type'
  runas plan --config examples/per-permission-set/runas.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, c, done, err := s.begin(cmd)
			if err != nil {
				return err
			}
			defer done()
			path := s.configPath
			if err != nil {
				return err
			}
			program, err := programs.For(c.Model)
			if err != nil {
				return problem(err)
			}
			writer, err := planZip(cmd, artifact.Writer, c.Writer.ZipPathFrom, path)
			if err != nil {
				return problem(err)
			}
			// The plan is offline: the secret is stood in for, and shown as
			// "[secret]" like any other.
			in := deploy.Inputs{Writer: writer, SCIMToken: pulumi.ToSecret(pulumi.String("plan-placeholder")).(pulumi.StringOutput)}
			if b := c.Broker; b != nil {
				if in.Broker, err = planZip(cmd, artifact.Broker, b.ZipPathFrom, path); err != nil {
					return problem(err)
				}
			}
			groups := c.EntraGroups()
			rec := &pulumimock.Recorder{IdentityStoreGroups: groups, EntraGroups: groups}
			rows, err := pulumimock.RunWith(rec, func(ctx *pulumi.Context) error { return program(ctx, c, in) })
			if err != nil {
				return problem(fmt.Errorf("planning %s: %w", path, err))
			}
			order := deploy.DeploymentOrderFor(c)
			if s.output == "json" {
				if err := writeJSON(cmd.OutOrStdout(), map[string]any{"resources": rows, "deploymentOrder": order}); err != nil {
					return problem(fmt.Errorf("writing the plan: %w", err))
				}
				return nil
			}
			if err := writePlanTable(cmd.OutOrStdout(), rows); err != nil {
				return problem(fmt.Errorf("writing the plan: %w", err))
			}
			errOut := cmd.ErrOrStderr()
			fmt.Fprintln(errOut, "deployment order for a new organization (docs/deploy.md):")
			for i, step := range order {
				fmt.Fprintf(errOut, "%3d. [%s] %s\n", i+1, step.By, step.What)
			}
			fmt.Fprintf(errOut, "%d resources (model %s) once every step is done; nothing was deployed\n", len(rows), c.Model)
			return nil
		},
	}
	s = newSetup(cmd, setupOptions{Outputs: []string{"table", "json"}})
	return cmd
}

// planZip returns l's zip for the plan: its configured zip path
// (zipPathFrom, relative to the configuration file), a build from source,
// or, when the source is nowhere on this machine, l.NotBuilt() with one
// line on stderr saying how to give a zip.
func planZip(cmd *cobra.Command, l artifact.Lambda, zipPathFrom func(dir string) string, configPath string) (artifact.Zip, error) {
	abs, err := filepath.Abs(configPath)
	if err != nil {
		return artifact.Zip{}, err
	}
	if p := zipPathFrom(filepath.Dir(abs)); p != "" {
		return l.FromFile(p)
	}
	z, err := l.Build(cmd.Context(), planBuild)
	if errors.Is(err, artifact.ErrSourceNotFound) {
		fmt.Fprintf(cmd.ErrOrStderr(), "runas: %s not built (its source is not on this machine): set %s to a zip of %s/%s (a relative path is relative to %s)\n",
			l.Name, l.Setting, artifact.ModulePath, strings.TrimPrefix(l.Package, "./"), filepath.Dir(configPath))
		return l.NotBuilt(), nil
	}
	return z, err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// maxCell keeps table cells readable; the JSON output has every value.
const maxCell = 100

func writePlanTable(w io.Writer, rows []pulumimock.Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tNAME\tPARENT\tPROVIDER\tKEY INPUTS")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Type, r.Name, dash(r.Parent), dash(r.Provider), keyInputs(r.Inputs))
	}
	return tw.Flush()
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
