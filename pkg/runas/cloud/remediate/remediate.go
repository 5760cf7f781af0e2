package remediate

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/awsorg"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/ssmprefs"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Target is what remediation did, or would do, in one account and region.
type Target struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	// Outcome is unchanged, created, updated, promoted, error, or
	// not-reached.
	Outcome        string              `json:"outcome"`
	Changes        []sessiondoc.Change `json:"changes"`
	DefaultVersion string              `json:"defaultVersion,omitempty"`
	Error          string              `json:"error,omitempty"`
}

// Outcomes besides ssmprefs.Outcome.
const (
	// OutcomeError marks a target that failed.
	OutcomeError = "error"
	// OutcomeNotReached marks a target the run stopped before.
	OutcomeNotReached = "not-reached"
)

// Report is a whole remediation.
type Report struct {
	Applied bool     `json:"applied"`
	Targets []Target `json:"targets"`
	// Writes counts targets written (or that would be, in a dry run).
	Writes    int `json:"writes"`
	Unchanged int `json:"unchanged"`
	Errors    int `json:"errors"`
	// NotReached counts targets the run stopped before.
	NotReached int `json:"notReached"`
	// Stopped says why the run ended early; empty when it did not.
	Stopped string `json:"stopped,omitempty"`
	// Elsewhere are the organization and assignment findings, each with
	// the command that repairs it; Unread says why they could not be read.
	Elsewhere []Elsewhere `json:"elsewhere"`
	Unread    string      `json:"unread,omitempty"`
}

// Options tune a run.
type Options struct {
	// Apply writes; without it nothing is written.
	Apply bool
	// Concurrency bounds the targets in flight, default
	// awsorg.DefaultMaxConcurrency (the pool adapts below it).
	Concurrency int
	// TargetTimeout bounds one account-region, default audit.DefaultTargetTimeout.
	TargetTimeout time.Duration
	// Stack names the Pulumi stack in the commands printed for what the
	// stack owns; default "<stack>".
	Stack string
}

// Elsewhere is a finding this command does not repair, with the command
// that does.
type Elsewhere struct {
	audit.Finding
	Command string `json:"command"`
}

// Run remediates every account-region in scope.
func Run(ctx context.Context, c *settings.Config, src audit.Sources, opts Options) (Report, error) {
	if opts.TargetTimeout == 0 {
		opts.TargetTimeout = audit.DefaultTargetTimeout
	}
	plan, err := awsorg.Targets(ctx, c, src.Accounts, src.Regions)
	if err != nil {
		return Report{}, err
	}
	jobs, failed := plan.Jobs, plan.Failed
	rep := Report{Applied: opts.Apply}
	accounts := map[string]bool{}
	for _, j := range jobs {
		accounts[j.Account] = true
	}
	for a, err := range failed {
		rep.Targets = append(rep.Targets, Target{Account: a, Region: "*", Outcome: OutcomeError, Error: err.Error()})
	}
	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	breaker := awsorg.NewBreaker(len(accounts))
	var mu sync.Mutex
	unreached := awsorg.Each(runCtx, jobs, src.Pool(opts.Concurrency), func(ctx context.Context, j awsorg.Job) {
		// A write once started runs to its end, within the target
		// timeout, whatever happens to the run.
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.TargetTimeout)
		defer cancel()
		t := Target{Account: j.Account, Region: j.Region}
		res, err := ssmprefs.Upsert(tctx, src.SSM(j.Account, j.Region), sessiondoc.DocumentName, &c.SessionPreferences,
			ssmprefs.Options{DryRun: !opts.Apply})
		if err != nil {
			t.Outcome, t.Error = OutcomeError, fmt.Sprintf("%s/%s: %v", j.Account, j.Region, err)
		} else {
			t.Outcome, t.Changes, t.DefaultVersion = string(res.Outcome), res.Changes, res.DefaultVersion
		}
		if breaker.Record(j.Account, err) {
			stop(breaker.Err())
		}
		mu.Lock()
		rep.Targets = append(rep.Targets, t)
		mu.Unlock()
	})
	if runCtx.Err() != nil {
		rep.Stopped = context.Cause(runCtx).Error()
	}
	for _, j := range unreached {
		rep.Targets = append(rep.Targets, Target{Account: j.Account, Region: j.Region, Outcome: OutcomeNotReached, Error: "not reached: " + rep.Stopped})
	}
	if rep.Stopped == "" {
		rep.Elsewhere, rep.Unread = elsewhere(ctx, c, src, opts.Stack)
	} else {
		rep.Elsewhere, rep.Unread = []Elsewhere{}, "not checked: "+rep.Stopped
	}
	sort.Slice(rep.Targets, func(i, j int) bool {
		a, b := rep.Targets[i], rep.Targets[j]
		return a.Account+"/"+a.Region < b.Account+"/"+b.Region
	})
	for i := range rep.Targets {
		t := &rep.Targets[i]
		if t.Changes == nil {
			t.Changes = []sessiondoc.Change{}
		}
		switch t.Outcome {
		case OutcomeError:
			rep.Errors++
		case OutcomeNotReached:
			rep.NotReached++
		case string(ssmprefs.Unchanged):
			rep.Unchanged++
		default:
			rep.Writes++
		}
	}
	return rep, nil
}

// elsewhere reads the findings the stack owns and pairs each with the
// command that repairs it.
func elsewhere(ctx context.Context, c *settings.Config, src audit.Sources, stack string) ([]Elsewhere, string) {
	if stack == "" {
		stack = "<stack>"
	}
	up := "pulumi up --refresh --stack " + stack
	var findings []audit.Finding
	var problems []string
	add := func(f []audit.Finding, err error) {
		findings = append(findings, f...)
		if err != nil {
			problems = append(problems, err.Error())
		}
	}
	if c.GuardrailEnabled() && src.Policies != nil {
		add(audit.CheckSCP(ctx, src.Policies, c))
	}
	if src.StackSets != nil {
		add(audit.CheckStackSet(ctx, src.StackSets, c))
	}
	if c.IdentityCenter != nil && src.Assignments != nil && src.IdentityStore != nil {
		add(audit.CheckAssignments(ctx, src.Assignments, src.IdentityStore, src.Accounts, c))
	}
	out := []Elsewhere{}
	for _, f := range findings {
		out = append(out, Elsewhere{Finding: f, Command: up})
	}
	return out, strings.Join(problems, "; ")
}

// WriteDiff prints, per account-region that needs a write, the exact input
// changes.
func (r Report) WriteDiff(w io.Writer) {
	short := func(s string) string {
		s = strings.Join(strings.Fields(s), " ")
		if len(s) > 60 {
			return s[:57] + "..."
		}
		return s
	}
	verb := "would be"
	if r.Applied {
		verb = "was"
	}
	for _, t := range r.Targets {
		switch t.Outcome {
		case string(ssmprefs.Unchanged):
			continue
		case OutcomeError:
			fmt.Fprintf(w, "! %s/%s: %s\n", t.Account, t.Region, t.Error)
			continue
		case OutcomeNotReached:
			continue
		}
		fmt.Fprintf(w, "~ %s/%s: %s %s %s\n", t.Account, t.Region, sessiondoc.DocumentName, verb, t.Outcome)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, c := range t.Changes {
			fmt.Fprintf(tw, "    %s\t%s\t->\t%s\n", c.Input, c.Got, c.Want)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "%d to write, %d unchanged, %d failed", r.Writes, r.Unchanged, r.Errors)
	if r.NotReached > 0 {
		fmt.Fprintf(w, ", %d not reached", r.NotReached)
	}
	fmt.Fprintln(w)
	if r.Stopped != "" {
		fmt.Fprintf(w, "stopped early: %s\n", r.Stopped)
	}
	if len(r.Elsewhere) > 0 {
		fmt.Fprintln(w, "\nowned by the Pulumi stack, not repaired here:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, e := range r.Elsewhere {
			fmt.Fprintf(tw, "  %s\t%s\twant %s\tgot %s\n", e.Check, e.Subject, short(e.Want), short(e.Got))
		}
		tw.Flush()
		fmt.Fprintf(w, "repair with: %s\n", r.Elsewhere[0].Command)
	}
	if r.Unread != "" {
		fmt.Fprintf(w, "organization not checked: %s\n", r.Unread)
	}
}
