package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/ssmprefs"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Sources are the APIs an audit reads. FromFactory fills them with real
// clients; tests replace the ones moto does not implement.
type Sources struct {
	// SSM returns the SSM client of an account in a region.
	SSM           func(account, region string) ssmprefs.DocumentAPI
	Accounts      AccountsAPI
	Policies      PoliciesAPI
	StackSets     StackSetAPI
	ABAC          ABACAPI
	IdentityStore IdentityStoreAPI
	Regions       RegionLister
}

// RegionMode selects the regions audited in each account.
type RegionMode string

// Region modes.
const (
	RegionsConfigured RegionMode = "configured"
	RegionsEnabled    RegionMode = "enabled"
)

// FromFactory builds the sources from one client factory.
func FromFactory(f *Factory, c *settings.Config, regions RegionMode) Sources {
	orgs := f.Organizations()
	s := Sources{
		SSM:       func(account, region string) ssmprefs.DocumentAPI { return f.SSM(account, region) },
		Accounts:  orgs,
		Policies:  orgs,
		StackSets: f.CloudFormation(c.Organization.HomeRegion),
		Regions:   ConfiguredRegions(c.Organization.Regions),
	}
	if regions == RegionsEnabled {
		s.Regions = EnabledRegions{API: f.Account(), Management: c.Organization.ManagementAccountID}
	}
	if ic := c.IdentityCenter; ic != nil {
		s.ABAC = f.SSOAdmin(ic.Region)
		s.IdentityStore = f.IdentityStore(ic.Region)
	}
	return s
}

// Options tune a run.
type Options struct {
	// Concurrency is the number of account-regions checked at once, default 16.
	Concurrency int
	// TargetTimeout bounds one account-region, default DefaultTargetTimeout.
	TargetTimeout time.Duration
	// SectionTimeout bounds the organization and Identity Center checks,
	// default 10 minutes.
	SectionTimeout time.Duration
	// Progress, when set, is called after each account-region.
	Progress func(done, total int)
}

// Defaults of a run.
const (
	// DefaultConcurrency is the worker pool size.
	DefaultConcurrency = 16
	// DefaultTargetTimeout bounds the work on one account-region.
	DefaultTargetTimeout = 2 * time.Minute
)

// Job is one account and region.
type Job struct{ Account, Region string }

// Jobs lists the account-regions in scope. Accounts whose regions cannot
// be listed come back as error targets, so they are reported, not dropped.
func Jobs(ctx context.Context, c *settings.Config, src Sources) ([]Job, []Target, error) {
	accounts, err := Scope(ctx, c, src.Accounts)
	if err != nil {
		return nil, nil, err
	}
	var jobs []Job
	var failed []Target
	for _, a := range accounts {
		regions, err := src.Regions.Regions(ctx, a)
		if err != nil {
			failed = append(failed, Target{Account: a, Region: "*", Status: StatusError, Error: err.Error()})
			continue
		}
		for _, r := range regions {
			jobs = append(jobs, Job{a, r})
		}
	}
	return jobs, failed, nil
}

// Each runs fn on every job with at most n at once.
func Each(jobs []Job, n int, fn func(Job)) {
	if n <= 0 {
		n = DefaultConcurrency
	}
	work := make(chan Job)
	var wg sync.WaitGroup
	for i := 0; i < min(n, max(len(jobs), 1)); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				fn(j)
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
}

// Run audits everything in scope. Its error is only for a failure that
// leaves no report at all (the accounts could not be listed); everything
// else is in the report.
func Run(ctx context.Context, c *settings.Config, src Sources, opts Options) (Report, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.TargetTimeout == 0 {
		opts.TargetTimeout = DefaultTargetTimeout
	}
	if opts.SectionTimeout == 0 {
		opts.SectionTimeout = 10 * time.Minute
	}
	jobs, failed, err := Jobs(ctx, c, src)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Targets: failed}
	var mu sync.Mutex

	var sections sync.WaitGroup
	sections.Add(2)
	go func() {
		defer sections.Done()
		sctx, cancel := context.WithTimeout(ctx, opts.SectionTimeout)
		defer cancel()
		rep.Organization = organizationSection(sctx, c, src)
	}()
	go func() {
		defer sections.Done()
		sctx, cancel := context.WithTimeout(ctx, opts.SectionTimeout)
		defer cancel()
		rep.IdentityCenter = identityCenterSection(sctx, c, src)
	}()

	done := 0
	Each(jobs, opts.Concurrency, func(j Job) {
		t := checkTarget(ctx, c, src, j, opts.TargetTimeout)
		mu.Lock()
		defer mu.Unlock()
		rep.Targets = append(rep.Targets, t)
		done++
		if opts.Progress != nil {
			opts.Progress(done, len(jobs))
		}
	})
	sections.Wait()
	rep.finish()
	return rep, nil
}

// Scope returns the accounts an audit or remediation covers: the ACTIVE
// accounts under the targets, and the management account when it is
// configured directly.
func Scope(ctx context.Context, c *settings.Config, api AccountsAPI) ([]string, error) {
	accounts, err := DiscoverAccounts(ctx, api, c.Organization.Targets)
	if err != nil {
		return nil, err
	}
	if c.ConfigureManagementAccount() {
		found := false
		for _, a := range accounts {
			found = found || a == c.Organization.ManagementAccountID
		}
		if !found {
			accounts = append([]string{c.Organization.ManagementAccountID}, accounts...)
		}
	}
	return accounts, nil
}

func checkTarget(ctx context.Context, c *settings.Config, src Sources, j Job, timeout time.Duration) Target {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := Target{Account: j.Account, Region: j.Region}
	st, err := ssmprefs.Read(tctx, src.SSM(j.Account, j.Region), sessiondoc.DocumentName)
	if err != nil {
		t.Status, t.Error = StatusError, fmt.Sprintf("reading %s in %s/%s: %v", sessiondoc.DocumentName, j.Account, j.Region, err)
		return t
	}
	t.DefaultVersion, t.LatestVersion = st.DefaultVersion, st.LatestVersion
	t.Status, t.Findings = CheckDocument(st, &c.SessionPreferences)
	return t
}

func organizationSection(ctx context.Context, c *settings.Config, src Sources) Section {
	var sec Section
	var errs []error
	if c.GuardrailEnabled() {
		f, err := CheckSCP(ctx, src.Policies, c)
		sec.Findings = append(sec.Findings, f...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	f, err := CheckStackSet(ctx, src.StackSets, c)
	sec.Findings = append(sec.Findings, f...)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		sec.Status, sec.Error = StatusError, err.Error()
	}
	return sec
}

func identityCenterSection(ctx context.Context, c *settings.Config, src Sources) Section {
	if c.IdentityCenter == nil {
		return Section{Status: StatusSkipped}
	}
	var sec Section
	var errs []error
	f, err := CheckABAC(ctx, src.ABAC, c.IdentityCenter)
	sec.Findings = append(sec.Findings, f...)
	if err != nil {
		errs = append(errs, err)
	}
	if len(c.Roles) > 0 {
		f, err := CheckUsers(ctx, src.IdentityStore, c)
		sec.Findings = append(sec.Findings, f...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		sec.Status, sec.Error = StatusError, err.Error()
	}
	return sec
}
