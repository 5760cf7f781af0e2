package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/graph"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/remediate"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// defaultAWSTimeout is the default --timeout of audit and remediate.
const defaultAWSTimeout = 30 * time.Minute

func newAuditCommand() *cobra.Command {
	var s *setup
	var entra bool
	var graphURL, stack, project, stackAccount string
	cmd := &cobra.Command{
		Use:   "audit --config FILE [--endpoint-url URL] [--role NAME] [--regions configured|enabled] [--stack STACK [--project NAME] [--stack-account ID]] [--entra [--graph-url URL]] [--output table|json|markdown|html]",
		Short: "Check every account and region, the organization and Identity Center",
		Long: `audit checks the three layers of the chain and reports what differs:

  every account and region in scope (the ACTIVE accounts under
  organization.targets, and the management account): SSM-SessionManagerRunShell
  exists; its default version has Run As on, the fallback user, and the
  configured logging; no version with the right content waits unpromoted.
  With a broker section, the session role <broker.sessionRoleName>-<region>
  matches the member template; with perUser hosts, every running instance
  tagged for joining has the join association and its last run succeeded.
  With --regions enabled, every region each account has enabled is checked,
  and an enabled region outside organization.regions without the document
  is a finding (sessions there open as ssm-user);

  the organization: the SCP exists with the desired content and is attached
  to every target; the StackSet's instances are current in every region;
  the broker's function exists, its URL is IAM-authenticated and answers a
  signed probe; the domain-controller model's bootstrap status reads
  complete (the stack's with --stack, else every stack's under
  /runas/ssm-runas/), read in the account of the audit's credentials, or
  in --stack-account when pulumi up ran in another account (a delegated
  administrator), through --role there;

  Identity Center: ABAC maps SSMSessionRunAs from the configured source. Each
  role's, or per-user permission set's, account assignments match the
  configuration, OUs expanded to their ACTIVE accounts.

  Per-role model: every user holds the one valid value their role groups
  imply (stale values, which Identity Center keeps after Entra clears them,
  are found), and values that are no role account are listed.

  Per-user models (per-user, domain-controller): every person assigned a
  permission set holds one valid, unreserved value no one else holds. With
  --entra the audit also reads each person's source attribute
  (perUser.userSource) from Entra ID through Microsoft Graph: a value
  Identity Center kept after the attribute was cleared in Entra
  (provisioning does not clear it), or one that differs from the
  lower-cased attribute, is value-stale; a person Entra no longer has is
  entra-user-missing. Without --entra that check is reported as not checked
  (exit 2). Graph credentials are those of runas entra: az login, the AZURE_*
  environment variables or a managed identity, for the tenant in
  entra.tenantId; or a bearer token in ` + GraphTokenEnv + `, which needs
  no entra section. The identity needs User.Read.All and
  GroupMember.Read.All.

It runs with the management account's credentials (the usual AWS
environment) and assumes --role in each member account once. The number of
account-regions in flight starts at 16, grows while calls succeed, halves on
throttling and narrows when calls start to queue, up to --concurrency; each
service in each account and region stays under 10 calls a second, Identity
Center under 15 in all.

Faults: throttling and server errors are retried (up to 10 attempts), and
stderr says what is being retried. An endpoint that cannot be reached is
given up after 3 attempts; access denied and expired credentials are not
retried. When every account-region in 5 accounts in a row fails (fewer in a
smaller organization), the run stops. Ctrl-C (SIGINT), SIGTERM and --timeout
stop it too. A stopped run still prints its report: what was checked, the
rest marked unchecked. A second Ctrl-C ends the process at once.

Progress (accounts done, findings so far) is drawn on stderr when stderr is
a terminal, unless --quiet.

--output html writes one self-contained page: the organization and Identity
Center findings, then a grid of accounts (grouped by OU) by regions coloured
by status, each cell showing its findings on hover and on click.

Exit codes: 0 everything compliant, 1 findings, 2 something could not be
checked or the run stopped early (each such part is listed), or bad usage.`,
		Example: `  runas audit --config runas.yaml
  runas audit --config runas.yaml --output markdown > audit.md
  runas audit --config runas.yaml --output html > audit.html
  runas audit --config runas.yaml --regions enabled
  runas audit --config per-user.yaml --entra
  runas audit --config runas.yaml --endpoint-url http://127.0.0.1:5000 --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("stack-account") && !settings.ValidAccountID(stackAccount) {
				return &exitError{code: exitUsage, err: fmt.Errorf("--stack-account %q: must be a 12-digit account id", stackAccount)}
			}
			ctx, c, src, done, err := s.beginAWS(cmd)
			if err != nil {
				return err
			}
			defer done()
			if stackAccount != "" {
				d := c.DomainController
				if d == nil {
					return &exitError{code: exitUsage, err: fmt.Errorf("--stack-account: only model %s has a stack account to read (the domain controller's status); %s has no domainController section", settings.ModelDomainController, s.configPath)}
				}
				src.Parameters = s.factory.SSM(stackAccount, d.Region)
			}
			if entra {
				if src.Entra, err = auditEntra(cmd, c, graphURL); err != nil {
					return err
				}
			}
			msgs := s.stderr(cmd)
			rep, err := audit.Run(ctx, c, src, audit.Options{Concurrency: s.aws.concurrency, Progress: msgs.progress, PulumiStack: stack, PulumiProject: project})
			msgs.done()
			if err != nil {
				if ctx.Err() != nil {
					err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
				}
				return &exitError{code: audit.ExitIncomplete, err: fmt.Errorf("audit: %w", err)}
			}
			out := cmd.OutOrStdout()
			switch s.output {
			case "json":
				if err := writeJSON(out, rep); err != nil {
					return err
				}
			case "markdown":
				rep.WriteMarkdown(out)
			case "html":
				if err := rep.WriteHTML(out); err != nil {
					return problem(err)
				}
			default:
				rep.WriteTable(out)
			}
			if rep.Stopped != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "runas: audit stopped early: %s; the report holds what was checked\n", oneLineErr(errors.New(rep.Stopped)))
			}
			if code := rep.ExitCode(); code != 0 {
				return &exitError{code: code, err: errors.New("findings"), printed: true}
			}
			return nil
		},
	}
	s = newSetup(cmd, setupOptions{Outputs: []string{"table", "json", "markdown", "html"}, Timeout: defaultAWSTimeout, AWS: true})
	f := cmd.Flags()
	f.StringVar(&stack, "stack", "", "the Pulumi stack whose domain controller status is read (default: every stack's)")
	f.StringVar(&stackAccount, "stack-account", "", "the account pulumi up ran in, when not the management account: the domain controller's status is read there (default: the account of the credentials)")
	f.StringVar(&project, "project", audit.DefaultPulumiProject, "the Pulumi project of the domain controller's stack: its status is /runas/<project>/<stack>/domain-controller/status")
	f.BoolVar(&entra, "entra", false, "per-user models: read people's source attribute from Entra ID (Microsoft Graph) to find stale values")
	f.StringVar(&graphURL, "graph-url", graph.DefaultBaseURL, "for --entra: "+graphURLUsage)
	return cmd
}

// auditEntra is the Graph client of the stale value check, with the
// credentials the entra commands use. A configuration it cannot serve is
// bad usage, and credentials that cannot be had leave the audit unable to
// check: both exit 2.
func auditEntra(cmd *cobra.Command, c *settings.Config, graphURL string) (audit.EntraUsersAPI, error) {
	if !c.PerUserModel() {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("--entra: model %s has no per-user values to compare with Entra ID (its values follow role groups, which the audit reads from Identity Center)", c.Model)}
	}
	if c.Entra == nil && os.Getenv(GraphTokenEnv) == "" {
		// A token names its tenant; the credential chain needs entra.tenantId.
		return nil, &exitError{code: exitUsage, err: errors.New("--entra: the configuration has no entra section naming the tenant: set entra.tenantId, or put a Microsoft Graph token for the tenant in " + GraphTokenEnv)}
	}
	gc, err := graphClient(cmd, c, graphURL)
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			ee.code = audit.ExitIncomplete
		}
		return nil, err
	}
	return gc, nil
}

func newRemediateCommand() *cobra.Command {
	var s *setup
	var apply bool
	var stack string
	cmd := &cobra.Command{
		Use:   "remediate --config FILE [--apply] [--endpoint-url URL] [--role NAME] [--concurrency N]",
		Short: "Repair SSM-SessionManagerRunShell where it differs, with the writer's own upsert",
		Long: `remediate shows, for every account and region in scope whose preferences
document differs from the configuration, the exact input changes; with
--apply it writes them with the same upsert the StackSet's writer Lambda uses
(update from $LATEST or create, then promote the default version), keeping
inputs the configuration does not manage.

It never deletes a document and never touches an account outside the
configured scope; a second run writes nothing.

The organization findings (the SCP's content and attachments, StackSet
instances, Identity Center account assignments, e.g. accounts added under a
configured OU since the last deploy) belong to the Pulumi stack: remediate
lists them with the command that repairs them,
pulumi up --refresh --stack STACK (--stack names it). Users' Run As values
are repaired by runas entra sync-attributes.

The role it assumes must be exempt from the guardrail SCP
(guardrail.exemptRoleArns), or every write is denied.

Ctrl-C (SIGINT), SIGTERM, --timeout, or every account failing stop it: no
new write starts, the writes in flight finish (each within 2 minutes), and
the report says what was changed and which account-regions were not
reached. A second Ctrl-C ends the process at once.

Exit codes: 0 nothing failed, 1 some target could not be repaired, 2 the run
stopped early or bad usage.`,
		Example: `  runas remediate --config runas.yaml
  runas remediate --config runas.yaml --apply --role ssm-runas-remediation`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, c, src, done, err := s.beginAWS(cmd)
			if err != nil {
				return err
			}
			defer done()
			rep, err := remediate.Run(ctx, c, src, remediate.Options{Apply: apply, Concurrency: s.aws.concurrency, Stack: stack})
			if err != nil {
				return problem(fmt.Errorf("remediate: %w", err))
			}
			if s.output == "json" {
				if err := writeJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
			} else {
				rep.WriteDiff(cmd.OutOrStdout())
			}
			if !apply && rep.Writes > 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "dry run: nothing written; run again with --apply")
			}
			switch {
			case rep.Stopped != "":
				return &exitError{code: exitUsage, err: fmt.Errorf("remediate stopped early: %s; %d written, %d not reached", rep.Stopped, rep.Writes, rep.NotReached)}
			case rep.Errors > 0:
				return &exitError{code: exitProblem, err: errors.New("some targets failed"), printed: true}
			}
			return nil
		},
	}
	s = newSetup(cmd, setupOptions{Outputs: []string{"table", "json"}, Timeout: defaultAWSTimeout, AWS: true})
	cmd.Flags().BoolVar(&apply, "apply", false, "write (default: show the changes only)")
	cmd.Flags().StringVar(&stack, "stack", "", "the Pulumi stack named in the commands printed for what the stack owns")
	return cmd
}
