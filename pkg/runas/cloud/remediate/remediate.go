// Package remediate repairs SSM-SessionManagerRunShell where the audit
// finds drift, with exactly the upsert the writer Lambda uses
// (ssmprefs.Upsert): update from $LATEST or create, then promote the
// default version, keeping the inputs the configuration does not manage.
//
// It is a dry run unless asked to apply, shows the exact input changes per
// account and region, never deletes a document, never touches an account
// outside the configured scope, and a second run writes nothing.
// Organization and Identity Center findings are not repaired here: they
// belong to `pulumi up` and `runas entra sync-attributes`.
package remediate

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/ssmprefs"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Target is what remediation did, or would do, in one account and region.
type Target struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	// Outcome is unchanged, created, updated, promoted, or error.
	Outcome        string              `json:"outcome"`
	Changes        []sessiondoc.Change `json:"changes"`
	DefaultVersion string              `json:"defaultVersion,omitempty"`
	Error          string              `json:"error,omitempty"`
}

// OutcomeError marks a target that failed.
const OutcomeError = "error"

// Report is a whole remediation.
type Report struct {
	Applied bool     `json:"applied"`
	Targets []Target `json:"targets"`
	// Writes counts targets written (or that would be, in a dry run).
	Writes    int `json:"writes"`
	Unchanged int `json:"unchanged"`
	Errors    int `json:"errors"`
}

// Options tune a run.
type Options struct {
	// Apply writes; without it nothing is written.
	Apply bool
	// Concurrency, default audit.DefaultConcurrency.
	Concurrency int
	// TargetTimeout bounds one account-region, default audit.DefaultTargetTimeout.
	TargetTimeout time.Duration
}

// Run remediates every account-region in scope.
func Run(ctx context.Context, c *settings.Config, src audit.Sources, opts Options) (Report, error) {
	if opts.TargetTimeout == 0 {
		opts.TargetTimeout = audit.DefaultTargetTimeout
	}
	jobs, failed, err := audit.Jobs(ctx, c, src)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Applied: opts.Apply}
	for _, f := range failed {
		rep.Targets = append(rep.Targets, Target{Account: f.Account, Region: f.Region, Outcome: OutcomeError, Error: f.Error})
	}
	var mu sync.Mutex
	audit.Each(jobs, opts.Concurrency, func(j audit.Job) {
		tctx, cancel := context.WithTimeout(ctx, opts.TargetTimeout)
		defer cancel()
		t := Target{Account: j.Account, Region: j.Region}
		res, err := ssmprefs.Upsert(tctx, src.SSM(j.Account, j.Region), sessiondoc.DocumentName, &c.SessionPreferences,
			ssmprefs.Options{DryRun: !opts.Apply})
		if err != nil {
			t.Outcome, t.Error = OutcomeError, fmt.Sprintf("%s/%s: %v", j.Account, j.Region, err)
		} else {
			t.Outcome, t.Changes, t.DefaultVersion = string(res.Outcome), res.Changes, res.DefaultVersion
		}
		mu.Lock()
		rep.Targets = append(rep.Targets, t)
		mu.Unlock()
	})
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
		case string(ssmprefs.Unchanged):
			rep.Unchanged++
		default:
			rep.Writes++
		}
	}
	return rep, nil
}

// WriteDiff prints, per account-region that needs a write, the exact input
// changes.
func (r Report) WriteDiff(w io.Writer) {
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
		}
		fmt.Fprintf(w, "~ %s/%s: %s %s %s\n", t.Account, t.Region, sessiondoc.DocumentName, verb, t.Outcome)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, c := range t.Changes {
			fmt.Fprintf(tw, "    %s\t%s\t->\t%s\n", c.Input, c.Got, c.Want)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "%d to write, %d unchanged, %d failed\n", r.Writes, r.Unchanged, r.Errors)
}
