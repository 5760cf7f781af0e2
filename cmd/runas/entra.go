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
// workload identity, managed identity, az login) to graph.TokenSource.
type azureToken struct {
	cred *azidentity.DefaultAzureCredential
}

func (a azureToken) Token(ctx context.Context) (string, error) {
	tok, err := a.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{graph.Scope}})
	if err != nil {
		return "", err
	}
	return tok.Token, nil
}

func graphClient(c *settings.Config, baseURL string) (*graph.Client, error) {
	var tokens graph.TokenSource
	if t := os.Getenv(GraphTokenEnv); t != "" {
		tokens = graph.StaticToken(t)
	} else {
		cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{TenantID: c.Entra.TenantID})
		if err != nil {
			return nil, fmt.Errorf("no Entra credentials (az login, or AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, or %s): %w", GraphTokenEnv, err)
		}
		tokens = azureToken{cred}
	}
	return graph.New(baseURL, tokens, graph.Options{})
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
	var path, spID, graphURL string
	var apply, start bool
	cmd := &cobra.Command{
		Use:   "map-attribute --config FILE [--service-principal-id ID] [--apply] [--start]",
		Short: "Map the Entra attribute to the SCIM attribute Identity Center reads",
		Long: `map-attribute makes the SCIM provisioning job send entra.scim.sourceAttribute
(e.g. extensionAttribute1) to entra.scim.targetAttribute (e.g. the enterprise
costCenter that identityCenter.runAsSource reads). No Pulumi or Terraform
resource edits synchronization schemas, so this runs after 'pulumi up':

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
and Application.Read.All.`,
		Example: `  runas entra map-attribute --config runas.yaml --service-principal-id 5c4a1f2e-0b3d-4e6f-8a9b-1c2d3e4f5a6b
  runas entra map-attribute --config runas.yaml --apply --start`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadConfig(cmd, path)
			if err != nil {
				return err
			}
			if err := requireEntra(c); err != nil {
				return err
			}
			gc, err := graphClient(c, graphURL)
			if err != nil {
				return problem(err)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Minute)
			defer cancel()
			stderr := cmd.ErrOrStderr()
			e := c.Entra
			if spID == "" {
				sps, err := gc.ServicePrincipalsByName(ctx, e.ApplicationName)
				if err != nil {
					return problem(fmt.Errorf("finding the service principal %q: %w", e.ApplicationName, err))
				}
				if len(sps) != 1 {
					return problem(fmt.Errorf("%d service principals are named %q: pass --service-principal-id", len(sps), e.ApplicationName))
				}
				spID = sps[0].ID
			}
			templates, lookupErr := gc.SyncTemplates(ctx, spID)
			choice, err := graph.ChooseTemplate(templates, lookupErr, e.SCIM.TemplateID)
			if err != nil {
				return problem(err)
			}
			fmt.Fprintln(stderr, choice.Note)
			jobs, err := gc.SyncJobs(ctx, spID)
			if err != nil {
				return problem(fmt.Errorf("listing the synchronization jobs: %w", err))
			}
			var jobID string
			for _, j := range jobs {
				if j.TemplateID == choice.ID {
					jobID = j.ID
				}
			}
			if jobID == "" {
				return problem(fmt.Errorf("no synchronization job from template %s on %s: run pulumi up (it creates the job) first", choice.ID, spID))
			}
			schema, err := gc.GetSchema(ctx, spID, jobID)
			if err != nil {
				return problem(fmt.Errorf("reading the schema of %s: %w", jobID, err))
			}
			updated, changes, err := graph.MapAttribute(schema, e.SCIM.SourceAttribute, e.SCIM.TargetAttribute)
			if err != nil {
				return problem(err)
			}
			out := cmd.OutOrStdout()
			pending := false
			for _, ch := range changes {
				before := ch.Before
				if before == "" {
					before = "(none)"
				}
				fmt.Fprintf(out, "%s\t%s: %s -> %s\t[%s]\n", ch.Action, ch.ObjectMapping, before, ch.After, e.SCIM.TargetAttribute)
				pending = pending || ch.Action != "unchanged"
			}
			if !apply {
				if pending {
					fmt.Fprintln(stderr, "dry run: nothing written; run again with --apply")
				}
				return nil
			}
			if pending {
				if err := gc.PutSchema(ctx, spID, jobID, updated); err != nil {
					return problem(fmt.Errorf("writing the schema of %s: %w", jobID, err))
				}
				fmt.Fprintf(stderr, "schema of %s written\n", jobID)
			}
			if start {
				if err := gc.StartJob(ctx, spID, jobID); err != nil {
					return problem(fmt.Errorf("starting %s: %w", jobID, err))
				}
				fmt.Fprintf(stderr, "job %s started\n", jobID)
			}
			return nil
		},
	}
	configFlag(cmd, &path)
	f := cmd.Flags()
	f.StringVar(&spID, "service-principal-id", "", "object id of the application's service principal (stack output servicePrincipalObjectId)")
	f.BoolVar(&apply, "apply", false, "write the schema (default: show the change only)")
	f.BoolVar(&start, "start", false, "start the provisioning job after writing (with --apply)")
	f.StringVar(&graphURL, "graph-url", graph.DefaultBaseURL, "Microsoft Graph endpoint (national clouds differ)")
	return cmd
}

func newSyncAttributesCommand() *cobra.Command {
	var path, graphURL, output string
	var apply bool
	cmd := &cobra.Command{
		Use:   "sync-attributes --config FILE [--apply] [--output table|json]",
		Short: "Write each role member's single Run As value to the Entra attribute",
		Long: `sync-attributes reads the members of every role group (nested groups
included) and everyone whose entra.scim.sourceAttribute holds a value, works
out each person's one value (their highest-precedence role's linuxUser),
and shows the difference. With --apply it writes it with PATCH /users/{id}.

People in no role group get entra.attributeSync.revokedValue, an account that
exists on no host: Identity Center keeps an attribute's old value when it is
cleared, so clearing would not revoke anything. Conflicts at equal
precedence, invalid values and users synced from on-premises AD (write those
in AD) are reported and left alone; they make the exit code 1.

A second run writes nothing. Credentials as for map-attribute; the identity
needs User.ReadWrite.All and GroupMember.Read.All.`,
		Example: `  runas entra sync-attributes --config runas.yaml
  runas entra sync-attributes --config runas.yaml --apply`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, "table", "json"); err != nil {
				return err
			}
			c, err := loadConfig(cmd, path)
			if err != nil {
				return err
			}
			if err := requireEntra(c); err != nil {
				return err
			}
			if !c.Entra.SourceAttributeIsExtension() {
				return problem(fmt.Errorf("entra.scim.sourceAttribute %q: the sync writes onPremisesExtensionAttributes, so it must be extensionAttribute1-15", c.Entra.SCIM.SourceAttribute))
			}
			gc, err := graphClient(c, graphURL)
			if err != nil {
				return problem(err)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Minute)
			defer cancel()
			attr := c.Entra.SCIM.SourceAttribute
			in, err := entrasync.Gather(ctx, gc, attr, c.Entra.AttributeSync.RevokedValue, entrasync.RolesFromConfig(c))
			if err != nil {
				return problem(err)
			}
			plan := entrasync.Compute(in)
			var failed []entrasync.Problem
			if apply {
				failed = entrasync.Apply(ctx, gc, attr, plan)
			}
			if output == "json" {
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
			fmt.Fprintf(cmd.ErrOrStderr(), "%s %d, %d unchanged, %d problems, %d failed writes\n",
				verb, len(plan.Changes)-len(failed), plan.Unchanged, len(plan.Problems), len(failed))
			if len(plan.Problems)+len(failed) > 0 {
				return &exitError{code: exitProblem, err: errors.New("problems found"), printed: true}
			}
			return nil
		},
	}
	configFlag(cmd, &path)
	f := cmd.Flags()
	f.BoolVar(&apply, "apply", false, "write the values (default: show the difference only)")
	f.StringVarP(&output, "output", "o", "table", "table or json")
	f.StringVar(&graphURL, "graph-url", graph.DefaultBaseURL, "Microsoft Graph endpoint (national clouds differ)")
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
	for _, pr := range append(append([]entrasync.Problem{}, p.Problems...), failed...) {
		who := pr.UPN
		if who == "" {
			who = "(config)"
		}
		fmt.Fprintf(tw, "! %s\t%s\n", who, strings.ReplaceAll(pr.Problem, "\n", " "))
	}
	tw.Flush()
}
