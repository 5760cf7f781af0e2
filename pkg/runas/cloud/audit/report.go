package audit

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/awsorg"
)

// Target statuses.
const (
	StatusCompliant = "compliant"
	StatusDrift     = "drift"
	StatusMissing   = "missing"
	StatusError     = "error"
	// StatusUnchecked marks a target the run never checked because it
	// stopped first (a signal, the timeout, or every account failing).
	StatusUnchecked = "unchecked"
)

// Finding is one difference from the configuration.
type Finding struct {
	Check string `json:"check"`
	// Subject names what the finding is about when the section has many
	// (a user, an OU, an account/region).
	Subject string `json:"subject,omitempty"`
	Want    string `json:"want"`
	Got     string `json:"got"`
}

// Target is one account and region.
type Target struct {
	Account  string    `json:"account"`
	Region   string    `json:"region"`
	Status   string    `json:"status"`
	Findings []Finding `json:"findings"`
	// Error says why the target could not be checked (status error).
	Error string `json:"error,omitempty"`
	// DefaultVersion and LatestVersion are the document versions read.
	DefaultVersion string `json:"defaultVersion,omitempty"`
	LatestVersion  string `json:"latestVersion,omitempty"`
}

// Section is the organization or Identity Center part of a report.
type Section struct {
	// Status is compliant, drift, error, or skipped (not configured).
	Status   string    `json:"status"`
	Findings []Finding `json:"findings"`
	Error    string    `json:"error,omitempty"`
}

// StatusSkipped marks a section the configuration does not ask for.
const StatusSkipped = "skipped"

// Summary counts a report.
type Summary struct {
	Accounts  int `json:"accounts"`
	Targets   int `json:"targets"`
	Compliant int `json:"compliant"`
	Drift     int `json:"drift"`
	Missing   int `json:"missing"`
	// Errors counts targets whose check failed; Unchecked those never
	// checked because the run stopped.
	Errors    int `json:"errors"`
	Unchecked int `json:"unchecked"`
	// NotChecked counts every part that could not be checked: targets in
	// error, unchecked targets, and the organization and Identity Center
	// sections when they could not be read.
	NotChecked             int `json:"notChecked"`
	OrganizationFindings   int `json:"organizationFindings"`
	IdentityCenterFindings int `json:"identityCenterFindings"`
}

// Report is the whole audit.
type Report struct {
	Targets        []Target `json:"targets"`
	Organization   Section  `json:"organization"`
	IdentityCenter Section  `json:"identityCenter"`
	Summary        Summary  `json:"summary"`
	// Accounts are the accounts in scope and the OU each sits in.
	Accounts []awsorg.Account `json:"accounts"`
	// Stopped says why the run ended before checking everything
	// (interrupted, timed out, every account failing); empty otherwise.
	Stopped string `json:"stopped,omitempty"`
}

// Exit codes of an audit.
const (
	ExitCompliant  = 0
	ExitFindings   = 1
	ExitIncomplete = 2
)

// ExitCode is 0 when everything is compliant, 1 when there are findings,
// 2 when some target or section could not be checked (or the run stopped
// early).
func (r Report) ExitCode() int {
	if r.Summary.NotChecked > 0 || r.Stopped != "" {
		return ExitIncomplete
	}
	if r.Summary.Drift+r.Summary.Missing+r.Summary.OrganizationFindings+r.Summary.IdentityCenterFindings > 0 {
		return ExitFindings
	}
	return ExitCompliant
}

// finish sorts the report and fills the summary.
func (r *Report) finish() {
	sortTargets(r.Targets)
	s := Summary{Targets: len(r.Targets)}
	accounts := map[string]bool{}
	for i := range r.Targets {
		t := &r.Targets[i]
		if t.Findings == nil {
			t.Findings = []Finding{}
		}
		accounts[t.Account] = true
		switch t.Status {
		case StatusCompliant:
			s.Compliant++
		case StatusDrift:
			s.Drift++
		case StatusMissing:
			s.Missing++
		case StatusError:
			s.Errors++
		case StatusUnchecked:
			s.Unchecked++
		}
	}
	s.Accounts = len(accounts)
	for _, sec := range []*Section{&r.Organization, &r.IdentityCenter} {
		if sec.Findings == nil {
			sec.Findings = []Finding{}
		}
		if sec.Status == "" {
			sec.Status = StatusCompliant
			if len(sec.Findings) > 0 {
				sec.Status = StatusDrift
			}
		}
	}
	s.NotChecked = s.Errors + s.Unchecked
	for _, sec := range []Section{r.Organization, r.IdentityCenter} {
		if sec.Status == StatusError {
			s.NotChecked++
		}
	}
	s.OrganizationFindings = len(r.Organization.Findings)
	s.IdentityCenterFindings = len(r.IdentityCenter.Findings)
	r.Summary = s
}

// WriteTable prints the report for people: non-compliant targets first
// line by line, then the sections and the summary.
func (r Report) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tREGION\tSTATUS\tCHECK\tWANT\tGOT")
	for _, t := range r.Targets {
		if t.Status == StatusError || t.Status == StatusUnchecked {
			fmt.Fprintf(tw, "%s\t%s\t%s\t-\t-\t%s\n", t.Account, t.Region, t.Status, oneLine(t.Error))
		} else if len(t.Findings) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\t\t\n", t.Account, t.Region, t.Status)
		}
		// A target in error may still hold the findings of the checks
		// that could run.
		for _, f := range t.Findings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Account, t.Region, t.Status, f.Check, short(findingSubject(f)+f.Want), short(f.Got))
		}
	}
	tw.Flush()
	for _, s := range []struct {
		name string
		sec  Section
	}{{"organization", r.Organization}, {"identity center", r.IdentityCenter}} {
		fmt.Fprintf(w, "\n%s: %s", s.name, s.sec.Status)
		if s.sec.Error != "" {
			fmt.Fprintf(w, " (%s)", oneLine(s.sec.Error))
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, f := range s.sec.Findings {
			fmt.Fprintf(tw, "  %s\t%s\twant %s\tgot %s\n", f.Check, f.Subject, short(f.Want), short(f.Got))
		}
		tw.Flush()
	}
	sm := r.Summary
	fmt.Fprintf(w, "\n%d accounts, %d targets: %d compliant, %d drift, %d missing; %d could not be checked%s; %d organization and %d identity center findings\n",
		sm.Accounts, sm.Targets, sm.Compliant, sm.Drift, sm.Missing, sm.NotChecked, r.notCheckedDetail(), sm.OrganizationFindings, sm.IdentityCenterFindings)
	if r.Stopped != "" {
		fmt.Fprintf(w, "stopped early: %s\n", oneLine(r.Stopped))
	}
}

// notCheckedDetail names the parts behind Summary.NotChecked.
func (r Report) notCheckedDetail() string {
	var parts []string
	if n := r.Summary.Errors; n > 0 {
		parts = append(parts, fmt.Sprintf("%d account-regions failed", n))
	}
	if n := r.Summary.Unchecked; n > 0 {
		parts = append(parts, fmt.Sprintf("%d account-regions not reached", n))
	}
	if r.Organization.Status == StatusError {
		parts = append(parts, "the organization")
	}
	if r.IdentityCenter.Status == StatusError {
		parts = append(parts, "identity center")
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// WriteMarkdown prints the report for a ticket: only what needs action.
func (r Report) WriteMarkdown(w io.Writer) {
	sm := r.Summary
	fmt.Fprintf(w, "# Session Manager Run As audit\n\n")
	fmt.Fprintf(w, "%d accounts, %d account-regions: **%d compliant**, %d drift, %d missing; %d could not be checked%s.\n\n",
		sm.Accounts, sm.Targets, sm.Compliant, sm.Drift, sm.Missing, sm.NotChecked, r.notCheckedDetail())
	if r.Stopped != "" {
		fmt.Fprintf(w, "Stopped early: %s\n\n", md(r.Stopped))
	}
	var bad []Target
	for _, t := range r.Targets {
		if t.Status != StatusCompliant {
			bad = append(bad, t)
		}
	}
	if len(bad) > 0 {
		fmt.Fprintf(w, "## Accounts and regions\n\n| account | region | status | check | want | got |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, t := range bad {
			if t.Status == StatusError || t.Status == StatusUnchecked {
				fmt.Fprintf(w, "| %s | %s | %s | | | %s |\n", t.Account, t.Region, t.Status, md(t.Error))
			}
			for _, f := range t.Findings {
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", t.Account, t.Region, t.Status, f.Check, md(findingSubject(f)+f.Want), md(f.Got))
			}
		}
		fmt.Fprintln(w)
	}
	for _, s := range []struct {
		name string
		sec  Section
	}{{"Organization", r.Organization}, {"Identity Center", r.IdentityCenter}} {
		fmt.Fprintf(w, "## %s: %s\n\n", s.name, s.sec.Status)
		if s.sec.Error != "" {
			fmt.Fprintf(w, "Could not check: %s\n\n", md(s.sec.Error))
		}
		if len(s.sec.Findings) > 0 {
			fmt.Fprintf(w, "| check | subject | want | got |\n| --- | --- | --- | --- |\n")
			for _, f := range s.sec.Findings {
				fmt.Fprintf(w, "| %s | %s | %s | %s |\n", f.Check, md(f.Subject), md(f.Want), md(f.Got))
			}
			fmt.Fprintln(w)
		}
	}
}

// findingSubject prefixes a target finding's want with its subject (a
// role, an instance), which the account-region tables have no column for.
func findingSubject(f Finding) string {
	if f.Subject == "" {
		return ""
	}
	return f.Subject + ": "
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func short(s string) string {
	s = oneLine(s)
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

func md(s string) string { return strings.ReplaceAll(oneLine(s), "|", `\|`) }
