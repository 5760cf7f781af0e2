package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/spf13/cobra"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/entrasync"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/graph"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// GraphTokenEnv holds a bearer token to use instead of azidentity.
const GraphTokenEnv = "SSM_RUNAS_GRAPH_TOKEN"

// azureToken adapts azidentity's default credential chain (environment,
// workload identity, managed identity, az login) to graph.TokenSource,
// asking for a token for one Graph deployment.
type azureToken struct {
	cred  *azidentity.DefaultAzureCredential
	scope string
}

func (a azureToken) Token(ctx context.Context) (string, error) {
	tok, err := a.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{a.scope}})
	if err != nil {
		return "", err
	}
	return tok.Token, nil
}

// Entra command time limits: the mapping is a handful of calls; the sync
// pages through every role group and every holder of the attribute.
const (
	defaultMapAttributeTimeout = 5 * time.Minute
	defaultSyncTimeout         = 30 * time.Minute
)

// newGraphSetup registers the shared flags of an entra command: --config,
// --output table|json, --timeout and --graph-url.
func newGraphSetup(cmd *cobra.Command, timeout time.Duration, graphURL *string) *setup {
	s := newSetup(cmd, setupOptions{Outputs: []string{"table", "json"}, Timeout: timeout})
	cmd.Flags().Lookup("timeout").Usage = "give up after this long (a single Graph wait of more than " + graph.DefaultMaxWait.String() + " fails at once)"
	cmd.Flags().StringVar(graphURL, "graph-url", graph.DefaultBaseURL, graphURLUsage)
	return s
}

// graphURLUsage is the help of every --graph-url.
const graphURLUsage = "Microsoft Graph endpoint; in a national cloud (https://graph.microsoft.us, https://dod-graph.microsoft.us, " +
	"https://microsoftgraph.chinacloudapi.cn) the credential chain asks that cloud's Entra ID for a token for it; " +
	"any other endpoint needs a token in " + GraphTokenEnv

// graphClient returns a Graph client for c's tenant that says on stderr
// when it waits. Without a token in GraphTokenEnv the credential chain
// asks the Entra ID of baseURL's cloud for a token scoped to it.
func graphClient(cmd *cobra.Command, c *settings.Config, baseURL string) (*graph.Client, error) {
	var tokens graph.TokenSource
	if t := os.Getenv(GraphTokenEnv); t != "" {
		tokens = graph.StaticToken(t)
	} else {
		svc, err := graph.TokenServiceFor(baseURL)
		if err != nil {
			return nil, &exitError{code: exitUsage, err: fmt.Errorf("--graph-url: %w, or set %s", err, GraphTokenEnv)}
		}
		cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			TenantID:      c.Entra.TenantID,
			ClientOptions: azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: svc.AuthorityHost}},
		})
		if err != nil {
			return nil, problem(fmt.Errorf("no Entra credentials (az login, or AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, or %s): %w", GraphTokenEnv, err))
		}
		tokens = azureToken{cred: cred, scope: svc.Scope}
	}
	stderr := cmd.ErrOrStderr()
	gc, err := graph.New(baseURL, tokens, graph.Options{OnWait: func(w graph.Wait) { fmt.Fprintf(stderr, "runas: %s\n", w) }})
	if err != nil {
		return nil, problem(err)
	}
	return gc, nil
}

// graphProblem is a Graph workflow's error as the command reports it,
// naming what ended the run (--timeout, a signal) when that stopped it.
func graphProblem(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return problem(fmt.Errorf("stopped (%v): %w", context.Cause(ctx), err))
	}
	return problem(err)
}

func requireEntra(c *settings.Config) error {
	if c.Entra == nil {
		return problem(errors.New("the configuration has no entra section"))
	}
	return nil
}

func newEntraCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "entra",
		Short: "Entra ID steps no Pulumi resource can do: the SCIM attribute mapping and the role attribute sync",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newMapAttributeCommand(), newSyncAttributesCommand())
	return cmd
}

func newMapAttributeCommand() *cobra.Command {
	var spID, graphURL string
	var apply, start bool
	var s *setup
	cmd := &cobra.Command{
		Use:   "map-attribute --config FILE [--service-principal-id ID] [--apply] [--start] [--timeout D]",
		Short: "Map the Entra attribute to the SCIM attribute Identity Center reads",
		Long: `map-attribute makes the SCIM provisioning job send entra.scim.sourceAttribute
(e.g. extensionAttribute1, or onPremisesSamAccountName for the per-user
models) to entra.scim.targetAttribute (e.g. the enterprise costCenter that
identityCenter.runAsSource reads). With entra.scim.mapping lowercase (the
per-user default) the source is the expression ToLower([source], ). No Pulumi
or Terraform resource edits synchronization schemas, so this runs after
'pulumi up':

  1. find the service principal (--service-principal-id, the stack output
     servicePrincipalObjectId; else by entra.applicationName)
  2. look up its synchronization templates and pick aWSSingleSignon by
     factory tag (falling back to entra.scim.templateId only when the lookup
     is refused, and saying so)
  3. find the job made from that template, read its schema, change or add
     the one mapping, keep everything else (PUT replaces the whole schema)
  4. with --apply, write it; with --start, start the job

Without --apply it prints the change and writes nothing. Credentials: az
login, the AZURE_* environment variables, a managed identity, or a bearer
token in ` + GraphTokenEnv + `. The identity needs Synchronization.ReadWrite.All
and Application.Read.All. When Graph throttles, the wait is shown on stderr;
a wait longer than ` + graph.DefaultMaxWait.String() + ` fails at once.`,
		Example: `  runas entra map-attribute --config runas.yaml --service-principal-id 5c4a1f2e-0b3d-4e6f-8a9b-1c2d3e4f5a6b
  runas entra map-attribute --config runas.yaml --apply --start`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, c, done, err := s.begin(cmd)
			if err != nil {
				return err
			}
			defer done()
			if err := requireEntra(c); err != nil {
				return err
			}
			gc, err := graphClient(cmd, c, graphURL)
			if err != nil {
				return err
			}
			req := entrasync.MappingRequestFor(c.Entra)
			req.ServicePrincipalID, req.Apply, req.Start = spID, apply, start
			res, err := entrasync.ConfigureMapping(ctx, gc, req)
			stderr := cmd.ErrOrStderr()
			if res.Template.Note != "" {
				fmt.Fprintln(stderr, res.Template.Note)
			}
			if err != nil {
				return graphProblem(ctx, err)
			}
			if s.output == "json" {
				if err := writeJSON(cmd.OutOrStdout(), res); err != nil {
					return err
				}
			} else {
				writeMappingTable(cmd.OutOrStdout(), req.TargetAttribute, res)
			}
			switch {
			case !apply && res.Pending:
				fmt.Fprintln(stderr, "dry run: nothing written; run again with --apply")
			case res.Written:
				fmt.Fprintf(stderr, "schema of %s written\n", res.JobID)
			}
			if res.Started {
				fmt.Fprintf(stderr, "job %s started\n", res.JobID)
			}
			return nil
		},
	}
	s = newGraphSetup(cmd, defaultMapAttributeTimeout, &graphURL)
	f := cmd.Flags()
	f.StringVar(&spID, "service-principal-id", "", "object id of the application's service principal (stack output servicePrincipalObjectId)")
	f.BoolVar(&apply, "apply", false, "write the schema (default: show the change only)")
	f.BoolVar(&start, "start", false, "start the provisioning job after writing (with --apply)")
	return cmd
}

func writeMappingTable(w io.Writer, target string, res entrasync.MappingResult) {
	for _, ch := range res.Changes {
		before := ch.Before
		if before == "" {
			before = "(none)"
		}
		fmt.Fprintf(w, "%s\t%s: %s -> %s\t[%s]\n", ch.Action, ch.ObjectMapping, before, ch.After, target)
	}
}

func newSyncAttributesCommand() *cobra.Command {
	var graphURL string
	var apply bool
	var s *setup
	cmd := &cobra.Command{
		Use:   "sync-attributes --config FILE [--apply] [--output table|json] [--timeout D]",
		Short: "Write each role member's single Run As value to the Entra attribute (per-role model)",
		Long: `sync-attributes reads the direct members of every role group (members of
nested groups do not count: Entra provisioning does not carry them to
Identity Center) and everyone whose entra.scim.sourceAttribute holds a value,
works out each person's one value (their highest-precedence role's
linuxUser), and shows the difference. With --apply it writes it with
PATCH /users/{id}.

People in no role group who hold a role account's value get
entra.attributeSync.revokedValue, an account that exists on no host: Identity
Center keeps an attribute's old value when it is cleared, so clearing would
not revoke anything. Values that are neither a role account nor the revoked
value belong to another use of the attribute: they are listed ("?") and left
alone. Conflicts at equal precedence, invalid values and users synced from
on-premises AD (write those in AD) are reported ("!") and left alone; they
make the exit code 1.

Only the per-role model computes values from groups; the per-user models take
each person's own attribute through the SCIM mapping (map-attribute).

A second run writes nothing. Credentials as for map-attribute; the identity
needs User.ReadWrite.All and GroupMember.Read.All.`,
		Example: `  runas entra sync-attributes --config runas.yaml
  runas entra sync-attributes --config runas.yaml --apply`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, c, done, err := s.begin(cmd)
			if err != nil {
				return err
			}
			defer done()
			if err := requireEntra(c); err != nil {
				return err
			}
			if !c.RunAsFromGroups() {
				return problem(fmt.Errorf("model %s: sync-attributes computes Run As values from role groups (model per-role); in this model each person's value is their own entra.scim.sourceAttribute %s, carried by the SCIM mapping: run 'runas entra map-attribute' instead",
					c.Model, c.Entra.SCIM.SourceAttribute))
			}
			if !c.Entra.SourceAttributeIsExtension() {
				return problem(fmt.Errorf("entra.scim.sourceAttribute %q: the sync writes onPremisesExtensionAttributes, so it must be extensionAttribute1-15", c.Entra.SCIM.SourceAttribute))
			}
			gc, err := graphClient(cmd, c, graphURL)
			if err != nil {
				return err
			}
			attr := c.Entra.SCIM.SourceAttribute
			in, err := entrasync.Gather(ctx, gc, attr, c.Entra.AttributeSync.RevokedValue, entrasync.RolesFromConfig(c))
			if err != nil {
				return graphProblem(ctx, err)
			}
			plan := entrasync.Compute(in)
			written := len(plan.Changes)
			var failed []entrasync.Problem
			if apply {
				written, failed = entrasync.Apply(ctx, gc, attr, plan)
			}
			if s.output == "json" {
				if err := writeJSON(cmd.OutOrStdout(), map[string]any{"attribute": attr, "applied": apply, "plan": plan, "failed": failed}); err != nil {
					return err
				}
			} else {
				writeSyncTable(cmd.OutOrStdout(), attr, plan, failed)
			}
			verb := "would write"
			if apply {
				verb = "wrote"
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%s %d, %d unchanged, %d left alone (not ours), %d problems, %d failed writes\n",
				verb, written, plan.Unchanged, len(plan.Foreign), len(plan.Problems), len(failed))
			if len(plan.Problems)+len(failed) > 0 {
				if ctx.Err() != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "runas: stopped (%v)\n", context.Cause(ctx))
				}
				return &exitError{code: exitProblem, err: errors.New("problems found"), printed: true}
			}
			return nil
		},
	}
	s = newGraphSetup(cmd, defaultSyncTimeout, &graphURL)
	cmd.Flags().BoolVar(&apply, "apply", false, "write the values (default: show the difference only)")
	return cmd
}

func writeSyncTable(w io.Writer, attr string, p entrasync.Plan, failed []entrasync.Problem) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range p.Changes {
		from := c.From
		if from == "" {
			from = `""`
		}
		fmt.Fprintf(tw, "~ %s\t%s: %s -> %s\t%s\n", c.UPN, attr, from, c.To, c.Reason)
	}
	for _, f := range p.Foreign {
		fmt.Fprintf(tw, "? %s\t%s: %q left alone\tin no role group, and not a role account: another use of the attribute\n", f.UPN, attr, f.Value)
	}
	problems := func(list []entrasync.Problem, nobody string) {
		for _, pr := range list {
			who := pr.UPN
			if who == "" {
				who = nobody
			}
			fmt.Fprintf(tw, "! %s\t%s\n", who, strings.ReplaceAll(pr.Problem, "\n", " "))
		}
	}
	problems(p.Problems, "(config)")
	problems(failed, "(run)")
	tw.Flush()
}
