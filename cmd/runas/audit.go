package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/remediate"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// awsFlags are the flags the AWS-reading commands share.
type awsFlags struct {
	endpointURL string
	role        string
	concurrency int
	regions     string
	timeout     time.Duration
}

func (a *awsFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&a.endpointURL, "endpoint-url", "", "send every AWS call to this endpoint (e.g. a local moto_server)")
	f.StringVar(&a.role, "role", audit.DefaultRole, "role assumed in each member account")
	f.IntVar(&a.concurrency, "concurrency", audit.DefaultConcurrency, "account-regions checked at once")
	f.StringVar(&a.regions, "regions", string(audit.RegionsConfigured), "configured (organization.regions) or enabled (each account's enabled regions)")
	f.DurationVar(&a.timeout, "timeout", 30*time.Minute, "give up after this long")
}

// sources builds the AWS clients from the environment's credentials, which
// must be the management account's (or a delegated administrator's).
func (a *awsFlags) sources(ctx context.Context, c *settings.Config) (audit.Sources, error) {
	if a.concurrency < 1 {
		return audit.Sources{}, &exitError{code: exitUsage, err: fmt.Errorf("--concurrency %d: must be at least 1", a.concurrency)}
	}
	mode := audit.RegionMode(a.regions)
	if mode != audit.RegionsConfigured && mode != audit.RegionsEnabled {
		return audit.Sources{}, &exitError{code: exitUsage, err: fmt.Errorf("--regions %q: must be configured or enabled", a.regions)}
	}
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(c.Organization.HomeRegion)}
	if a.endpointURL != "" {
		opts = append(opts, awsconfig.WithBaseEndpoint(a.endpointURL))
	}
	base, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return audit.Sources{}, problem(fmt.Errorf("loading AWS credentials: %w", err))
	}
	f := audit.NewFactory(base, c.Organization.ManagementAccountID, audit.FactoryOptions{Role: a.role})
	return audit.FromFactory(f, c, mode), nil
}

func newAuditCommand() *cobra.Command {
	var path, output string
	var af awsFlags
	cmd := &cobra.Command{
		Use:   "audit --config FILE [--endpoint-url URL] [--role NAME] [--concurrency N] [--output table|json|markdown]",
		Short: "Check every account and region, the organization and Identity Center",
		Long: `audit checks the three layers of the chain and reports what differs:

  every account and region in scope (the ACTIVE accounts under
  organization.targets, and the management account): SSM-SessionManagerRunShell
  exists; its default version has Run As on, the fallback user, and the
  configured logging; no version with the right content waits unpromoted;

  the organization: the SCP exists with the desired content and is attached
  to every target; the StackSet's instances are current in every region;

  Identity Center: ABAC maps SSMSessionRunAs from the configured source; every
  user holds the one valid value their role groups imply (stale values, which
  Identity Center keeps after Entra clears them, are found), and values that
  are no role account are listed.

It runs with the management account's credentials (the usual AWS
environment) and assumes --role in each member account once. It works
through account-regions with --concurrency workers, keeps each account under
10 calls a second and Identity Center under 15, and retries throttling.

Exit codes: 0 everything compliant, 1 findings, 2 something could not be
checked (each such target is listed with its error).`,
		Example: `  runas audit --config runas.yaml
  runas audit --config runas.yaml --output markdown > audit.md
  runas audit --config runas.yaml --endpoint-url http://127.0.0.1:5000 --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, "table", "json", "markdown"); err != nil {
				return err
			}
			c, err := loadConfig(cmd, path)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), af.timeout)
			defer cancel()
			src, err := af.sources(ctx, c)
			if err != nil {
				return err
			}
			bar := newProgress(cmd.ErrOrStderr())
			rep, err := audit.Run(ctx, c, src, audit.Options{Concurrency: af.concurrency, Progress: bar.update})
			bar.done()
			if err != nil {
				return &exitError{code: audit.ExitIncomplete, err: fmt.Errorf("audit: %w", err)}
			}
			switch output {
			case "json":
				if err := writeJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
			case "markdown":
				rep.WriteMarkdown(cmd.OutOrStdout())
			default:
				rep.WriteTable(cmd.OutOrStdout())
			}
			if code := rep.ExitCode(); code != 0 {
				return &exitError{code: code, err: errors.New("findings"), printed: true}
			}
			return nil
		},
	}
	configFlag(cmd, &path)
	af.register(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, json or markdown")
	return cmd
}

func newRemediateCommand() *cobra.Command {
	var path, output string
	var apply bool
	var af awsFlags
	cmd := &cobra.Command{
		Use:   "remediate --config FILE [--apply] [--endpoint-url URL] [--role NAME] [--concurrency N]",
		Short: "Repair SSM-SessionManagerRunShell where it differs, with the writer's own upsert",
		Long: `remediate shows, for every account and region in scope whose preferences
document differs from the configuration, the exact input changes; with
--apply it writes them with the same upsert the StackSet's writer Lambda uses
(update from $LATEST or create, then promote the default version), keeping
inputs the configuration does not manage.

It never deletes a document and never touches an account outside the
configured scope; a second run writes nothing. Organization and Identity
Center findings are not repaired here: run pulumi up, and
runas entra sync-attributes.

The role it assumes must be exempt from the guardrail SCP
(guardrail.exemptRoleArns), or every write is denied.

Exit codes: 0 nothing failed, 1 some target could not be repaired.`,
		Example: `  runas remediate --config runas.yaml
  runas remediate --config runas.yaml --apply --role ssm-runas-remediation`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, "table", "json"); err != nil {
				return err
			}
			c, err := loadConfig(cmd, path)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), af.timeout)
			defer cancel()
			src, err := af.sources(ctx, c)
			if err != nil {
				return err
			}
			rep, err := remediate.Run(ctx, c, src, remediate.Options{Apply: apply, Concurrency: af.concurrency})
			if err != nil {
				return problem(fmt.Errorf("remediate: %w", err))
			}
			if output == "json" {
				if err := writeJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
			} else {
				rep.WriteDiff(cmd.OutOrStdout())
			}
			if !apply && rep.Writes > 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "dry run: nothing written; run again with --apply")
			}
			if rep.Errors > 0 {
				return &exitError{code: exitProblem, err: errors.New("some targets failed"), printed: true}
			}
			return nil
		},
	}
	configFlag(cmd, &path)
	af.register(cmd)
	cmd.Flags().BoolVar(&apply, "apply", false, "write (default: show the changes only)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

// progress draws a bar on stderr when stderr is a terminal.
type progress struct {
	w       io.Writer
	on      bool
	last    time.Time
	started bool
}

func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, on: ok && term.IsTerminal(int(f.Fd()))}
}

const barWidth = 30

func (p *progress) update(done, total int) {
	if !p.on || total == 0 {
		return
	}
	if done != total && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.started = time.Now(), true
	n := done * barWidth / total
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d account-regions", strings.Repeat("#", n), strings.Repeat(".", barWidth-n), done, total)
}

func (p *progress) done() {
	if p.started {
		fmt.Fprintln(p.w)
	}
}
