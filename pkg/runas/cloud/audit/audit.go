package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/awsorg"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/ssmprefs"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Sources are the APIs an audit reads. FromFactory fills them with real
// clients; tests replace the ones moto does not implement.
type Sources struct {
	// SSM returns the SSM client of an account in a region.
	SSM           func(account, region string) ssmprefs.DocumentAPI
	Accounts      awsorg.AccountsAPI
	Policies      PoliciesAPI
	StackSets     StackSetAPI
	ABAC          ABACAPI
	IdentityStore IdentityStoreAPI
	// Assignments reads Identity Center's account assignments; nil skips
	// the assignment check.
	Assignments AssignmentsAPI
	// Entra reads people's Entra ID profiles for the per-user stale value
	// check; nil reports that check as not checked (ErrStaleNotChecked).
	Entra   EntraUsersAPI
	Regions awsorg.RegionLister
	// IAM returns the IAM client of an account (region only places the
	// client), for the broker's session role; nil skips that check.
	IAM func(account, region string) RoleAPI
	// EC2 and Associations return the EC2 and State Manager clients of an
	// account in a region, for the hosts tagged for joining; nil skips
	// that check.
	EC2          func(account, region string) InstancesAPI
	Associations func(account, region string) AssociationsAPI
	// Broker reads the broker function in its account and region, and
	// ProbeBroker sends it a signed request; nil skips the broker check.
	Broker      FunctionAPI
	ProbeBroker ProbeFunc
	// Parameters reads SSM parameters in the domain controller's region,
	// in the account its stack ran in: FromFactory gives the account of
	// the credentials (the management account's, or a delegated
	// administrator's); nil skips the domain controller check.
	Parameters ParametersAPI
	// Throttles counts throttled calls and Latency reads the recent and
	// lowest call times, for the pool's back-off (awsorg.Each); nil means
	// the pool ignores that signal.
	Throttles func() uint64
	Latency   func() (recent, base time.Duration)
}

// Pool returns the worker pool's options for a run over these sources
// bounded by max (0: the default).
func (s Sources) Pool(max int) awsorg.PoolOptions {
	return awsorg.PoolOptions{Max: max, Throttles: s.Throttles, Latency: s.Latency}
}

// RegionMode selects the regions audited in each account.
type RegionMode string

// Region modes.
const (
	RegionsConfigured RegionMode = "configured"
	RegionsEnabled    RegionMode = "enabled"
)

// FromFactory builds the sources from one client factory.
func FromFactory(f *awsorg.Factory, c *settings.Config, regions RegionMode) Sources {
	orgs := f.Organizations()
	s := Sources{
		SSM:       func(account, region string) ssmprefs.DocumentAPI { return f.SSM(account, region) },
		Accounts:  orgs,
		Policies:  orgs,
		StackSets: f.CloudFormation(c.Organization.HomeRegion),
		Regions:   awsorg.ConfiguredRegions(c.Organization.Regions),
		Throttles: f.Throttles,
		Latency:   f.Latency,
	}
	if regions == RegionsEnabled {
		s.Regions = awsorg.EnabledRegions{API: f.Account(), Management: c.Organization.ManagementAccountID}
	}
	if c.Broker != nil {
		s.IAM = func(account, _ string) RoleAPI { return f.IAM(account) }
		s.Broker = f.Lambda(c.Broker.AccountID, c.Broker.Region)
		s.ProbeBroker = BrokerProbe(f.Credentials(c.Broker.AccountID), nil)
	}
	if JoinsHosts(c) {
		s.EC2 = func(account, region string) InstancesAPI { return f.EC2(account, region) }
		s.Associations = func(account, region string) AssociationsAPI { return f.SSM(account, region) }
	}
	if d := c.DomainController; d != nil {
		s.Parameters = f.SSM(c.Organization.ManagementAccountID, d.Region)
	}
	if ic := c.IdentityCenter; ic != nil {
		admin := f.SSOAdmin(ic.Region)
		s.ABAC, s.Assignments = admin, admin
		s.IdentityStore = f.IdentityStore(ic.Region)
	}
	return s
}

// Progress is the state of a run, reported after each account-region.
type Progress struct {
	// Accounts is the number of accounts in scope; AccountsDone those
	// whose every region is done.
	Accounts, AccountsDone int
	// Targets and TargetsDone count account-regions.
	Targets, TargetsDone int
	// Findings counts the account-region findings so far.
	Findings int
}

// Options tune a run.
type Options struct {
	// Concurrency bounds the account-regions checked at once; the pool
	// adapts below it (awsorg.Each). Default awsorg.DefaultMaxConcurrency.
	Concurrency int
	// TargetTimeout bounds one account-region, default DefaultTargetTimeout.
	TargetTimeout time.Duration
	// SectionTimeout bounds the organization and Identity Center checks,
	// default DefaultSectionTimeout.
	SectionTimeout time.Duration
	// Progress, when set, is called after each account-region.
	Progress func(Progress)
	// PulumiStack names the stack whose domain controller is checked
	// (model domain-controller); empty checks every stack's status
	// parameter found under /runas/<PulumiProject>/.
	PulumiStack string
	// PulumiProject is the Pulumi project of that stack, default
	// DefaultPulumiProject.
	PulumiProject string
}

// Defaults of a run.
const (
	// DefaultTargetTimeout bounds the work on one account-region.
	DefaultTargetTimeout = 2 * time.Minute
	// DefaultSectionTimeout bounds the organization and the Identity
	// Center checks.
	DefaultSectionTimeout = 10 * time.Minute
)

// Run audits everything in scope. Its error is only for a failure that
// leaves no report at all (the accounts could not be listed); everything
// else is in the report. When ctx ends (a signal, the run's timeout) or
// every account fails (awsorg.Breaker), the report holds what was checked
// and marks the rest unchecked, with the reason in Report.Stopped.
func Run(ctx context.Context, c *settings.Config, src Sources, opts Options) (Report, error) {
	if opts.TargetTimeout == 0 {
		opts.TargetTimeout = DefaultTargetTimeout
	}
	if opts.SectionTimeout == 0 {
		opts.SectionTimeout = DefaultSectionTimeout
	}
	plan, err := awsorg.Targets(ctx, c, src.Accounts, src.Regions)
	if err != nil {
		return Report{}, err
	}
	jobs, failed := plan.Jobs, plan.Failed
	rep := Report{Accounts: plan.Accounts}
	for a, err := range failed {
		rep.Targets = append(rep.Targets, Target{Account: a, Region: "*", Status: StatusError, Error: err.Error()})
	}
	accounts := map[string]int{} // regions left per account
	for _, j := range jobs {
		accounts[j.Account]++
	}

	// The run stops on ctx or when every account fails.
	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	breaker := awsorg.NewBreaker(len(accounts))

	var sections sync.WaitGroup
	sections.Add(2)
	go func() {
		defer sections.Done()
		sctx, cancel := context.WithTimeout(runCtx, opts.SectionTimeout)
		defer cancel()
		rep.Organization = organizationSection(sctx, c, src, opts)
		notChecked(runCtx, &rep.Organization)
	}()
	go func() {
		defer sections.Done()
		sctx, cancel := context.WithTimeout(runCtx, opts.SectionTimeout)
		defer cancel()
		rep.IdentityCenter = identityCenterSection(sctx, c, src)
		notChecked(runCtx, &rep.IdentityCenter)
	}()

	var mu sync.Mutex
	p := Progress{Accounts: len(accounts) + len(failed), AccountsDone: len(failed), Targets: len(jobs)}
	unreached := awsorg.Each(runCtx, jobs, src.Pool(opts.Concurrency), func(ctx context.Context, j awsorg.Job) {
		t, err := checkTarget(ctx, c, src, j, opts.TargetTimeout)
		if err != nil && runCtx.Err() != nil {
			// Cut short by the stop, not failed on its own.
			t = Target{Account: j.Account, Region: j.Region, Status: StatusUnchecked, Error: "not checked: " + context.Cause(runCtx).Error()}
		} else if breaker.Record(j.Account, err) {
			stop(breaker.Err())
		}
		mu.Lock()
		defer mu.Unlock()
		rep.Targets = append(rep.Targets, t)
		p.TargetsDone++
		p.Findings += len(t.Findings)
		if accounts[j.Account]--; accounts[j.Account] == 0 {
			p.AccountsDone++
		}
		if opts.Progress != nil {
			opts.Progress(p)
		}
	})
	sections.Wait()
	if runCtx.Err() != nil {
		rep.Stopped = context.Cause(runCtx).Error()
	}
	for _, j := range unreached {
		rep.Targets = append(rep.Targets, Target{Account: j.Account, Region: j.Region, Status: StatusUnchecked, Error: "not checked: " + rep.Stopped})
	}
	rep.finish()
	return rep, nil
}

// notChecked turns a section cut short by the run's stop into one that
// says so.
func notChecked(runCtx context.Context, sec *Section) {
	if sec.Status == StatusError && runCtx.Err() != nil {
		sec.Error = "not checked: " + context.Cause(runCtx).Error()
	}
}

// checkTarget audits one account-region; its error (also in the target)
// is for the breaker.
func checkTarget(ctx context.Context, c *settings.Config, src Sources, j awsorg.Job, timeout time.Duration) (Target, error) {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := Target{Account: j.Account, Region: j.Region}
	st, err := readState(tctx, src.SSM(j.Account, j.Region), &c.SessionPreferences)
	if err != nil {
		t.Status, t.Error = StatusError, fmt.Sprintf("reading %s in %s/%s: %v", sessiondoc.DocumentName, j.Account, j.Region, err)
		return t, err
	}
	t.DefaultVersion, t.LatestVersion = st.DefaultVersion, st.LatestVersion
	t.Status, t.Findings = CheckDocument(st, &c.SessionPreferences)
	covered := slices.Contains(c.Organization.Regions, j.Region)
	if !st.Exists && !covered {
		// An enabled region the configuration does not cover: Run As is
		// off there and sessions open as ssm-user.
		t.Findings = []Finding{{Check: CheckRegionUncovered, Subject: j.Region,
			Want: sessiondoc.DocumentName + " (add the region to organization.regions)",
			Got:  "absent: Run As is off and sessions open as ssm-user"}}
	}
	if covered {
		// What else the member template deploys here. A failure is the
		// target's error but not the breaker's: the document was read, so
		// the account is reachable.
		var errs []error
		add := func(f []Finding, err error) {
			t.Findings = append(t.Findings, f...)
			for _, x := range f {
				t.Status = worse(t.Status, statusOf(x.Check))
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		if c.Broker != nil && src.IAM != nil {
			f, err := CheckSessionRole(tctx, src.IAM(j.Account, j.Region), c, j.Region)
			add(f, wrapTarget("the broker's session role", j, err))
		}
		if JoinsHosts(c) && src.EC2 != nil && src.Associations != nil {
			f, err := CheckHostJoin(tctx, src.EC2(j.Account, j.Region), src.Associations(j.Account, j.Region), c)
			add(f, wrapTarget("the hosts tagged for joining", j, err))
		}
		if err := errors.Join(errs...); err != nil {
			t.Status, t.Error = StatusError, err.Error()
		}
	}
	return t, nil
}

func wrapTarget(what string, j awsorg.Job, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("checking %s in %s/%s: %w", what, j.Account, j.Region, err)
}

// statusOf is the target status a finding of check implies: an absent
// part is missing, anything else drift.
func statusOf(check string) string {
	switch check {
	case CheckSessionRoleMissing, CheckJoinAssociationMissing:
		return StatusMissing
	}
	return StatusDrift
}

// worse is the more severe of two target statuses.
func worse(a, b string) string {
	rank := map[string]int{StatusCompliant: 0, StatusDrift: 1, StatusMissing: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// readState reads the document for the audit with as few calls as the
// decision allows. The default version comes first, with one GetDocument:
// that settles the common case (it already holds the preferences) and the
// missing document. A default that differs needs the versions
// (DescribeDocument), and the latest version's content only when it is
// not the default, to tell drift from an update written but not promoted.
// Content that does not parse goes to ssmprefs.Read, which reports it.
func readState(ctx context.Context, api ssmprefs.DocumentAPI, prefs *sessiondoc.Preferences) (ssmprefs.State, error) {
	name := sessiondoc.DocumentName
	out, err := api.GetDocument(ctx, &ssm.GetDocumentInput{Name: aws.String(name), DocumentFormat: ssmtypes.DocumentFormatJson})
	if errors.As(err, new(*ssmtypes.InvalidDocument)) {
		return ssmprefs.State{}, nil
	}
	if err != nil {
		return ssmprefs.State{}, fmt.Errorf("reading %s: %w", name, err)
	}
	doc, err := sessiondoc.Parse([]byte(aws.ToString(out.Content)))
	if err != nil {
		return ssmprefs.Read(ctx, api, name)
	}
	st := ssmprefs.State{Exists: true, DefaultVersion: aws.ToString(out.DocumentVersion), Current: sessiondoc.Current{Default: &doc}}
	if d, err := st.Decide(prefs); err != nil || d.Action == sessiondoc.Nothing {
		return st, err
	}
	desc, err := api.DescribeDocument(ctx, &ssm.DescribeDocumentInput{Name: aws.String(name)})
	if err != nil {
		return ssmprefs.State{}, fmt.Errorf("describing %s: %w", name, err)
	}
	st.LatestVersion = aws.ToString(desc.Document.LatestVersion)
	if dv := aws.ToString(desc.Document.DefaultVersion); dv != st.DefaultVersion {
		// The default moved between the two calls: read it all again.
		return ssmprefs.Read(ctx, api, name)
	}
	if st.LatestVersion == st.DefaultVersion {
		return st, nil
	}
	latest, err := api.GetDocument(ctx, &ssm.GetDocumentInput{Name: aws.String(name), DocumentVersion: aws.String(st.LatestVersion), DocumentFormat: ssmtypes.DocumentFormatJson})
	if err != nil {
		return ssmprefs.State{}, fmt.Errorf("reading %s version %s: %w", name, st.LatestVersion, err)
	}
	ldoc, err := sessiondoc.Parse([]byte(aws.ToString(latest.Content)))
	if err != nil {
		return ssmprefs.Read(ctx, api, name)
	}
	st.Current.Latest = &ldoc
	return st, nil
}

// sectionBuilder gathers the findings and errors of a section's checks.
type sectionBuilder struct {
	sec  Section
	errs []error
}

func (b *sectionBuilder) add(f []Finding, err error) {
	b.sec.Findings = append(b.sec.Findings, f...)
	if err != nil {
		b.errs = append(b.errs, err)
	}
}

func (b *sectionBuilder) done() Section {
	if err := errors.Join(b.errs...); err != nil {
		b.sec.Status, b.sec.Error = StatusError, err.Error()
	}
	return b.sec
}

// sortTargets orders targets by account, then region.
func sortTargets(ts []Target) {
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].Account != ts[j].Account {
			return ts[i].Account < ts[j].Account
		}
		return ts[i].Region < ts[j].Region
	})
}
