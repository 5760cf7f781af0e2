package awsorg

import (
	"context"
	"fmt"
	"sync"
)

// Job is one account and region.
type Job struct{ Account, Region string }

func (j Job) String() string { return j.Account + "/" + j.Region }

// Jobs lists the account-regions of accounts, in account order. Accounts
// whose regions cannot be listed come back in failed with the error, so
// they are reported, not dropped.
func Jobs(ctx context.Context, accounts []string, regions RegionLister) (jobs []Job, failed map[string]error) {
	failed = map[string]error{}
	for _, a := range accounts {
		rs, err := regions.Regions(ctx, a)
		if err != nil {
			failed[a] = err
			continue
		}
		for _, r := range rs {
			jobs = append(jobs, Job{a, r})
		}
	}
	return jobs, failed
}

// Concurrency defaults of the worker pool.
const (
	// DefaultMaxConcurrency bounds the jobs in flight. Each waits on the
	// network almost all the time, so the bound is set by what the
	// services tolerate (the rate limits and the throttling back-off
	// rule), not by the CPUs.
	DefaultMaxConcurrency = 256
	// DefaultStartConcurrency is where the pool starts before it grows.
	DefaultStartConcurrency = 16
	// MinConcurrency is the floor throttling can push the pool down to.
	MinConcurrency = 2
)

// PoolOptions tune Each; zero values take the defaults.
type PoolOptions struct {
	// Max bounds the jobs in flight, default DefaultMaxConcurrency.
	Max int
	// Start is the initial bound, default DefaultStartConcurrency (at most Max).
	Start int
	// Throttles reads a counter of throttled calls (Factory.Throttles).
	// When it grows during a job, the pool halves its bound.
	Throttles func() uint64
	// OnLimit, when set, is told each time the bound changes.
	OnLimit func(limit int)
}

func (o PoolOptions) withDefaults() PoolOptions {
	if o.Max <= 0 {
		o.Max = DefaultMaxConcurrency
	}
	if o.Start <= 0 {
		o.Start = DefaultStartConcurrency
	}
	o.Start = min(o.Start, o.Max)
	if o.Throttles == nil {
		o.Throttles = func() uint64 { return 0 }
	}
	return o
}

// Each runs fn on every job, with a bound on the jobs in flight that
// adapts: it grows by one for each job finished without throttling (so it
// doubles every round while the services keep up, then grows by one a
// round once they have throttled), and halves, at most once a round,
// when a job saw throttling. It stops starting jobs when ctx ends and
// returns the jobs it never started; every other job has run to its end.
func Each(ctx context.Context, jobs []Job, opts PoolOptions, fn func(context.Context, Job)) (notStarted []Job) {
	opts = opts.withDefaults()
	var (
		mu        sync.Mutex
		cond      = sync.NewCond(&mu)
		limit     = float64(opts.Start)
		inflight  int
		slowStart = true
		cutMark   uint64 // throttle count when the bound was last cut
		wg        sync.WaitGroup
	)
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		cond.Broadcast()
		mu.Unlock()
	})
	defer stop()
	finish := func(seen uint64) {
		mu.Lock()
		defer mu.Unlock()
		inflight--
		before := int(limit)
		if now := opts.Throttles(); now > seen {
			if seen >= cutMark {
				limit = max(float64(MinConcurrency), limit/2)
				slowStart, cutMark = false, now
			}
		} else if slowStart {
			limit = min(float64(opts.Max), limit+1)
		} else {
			limit = min(float64(opts.Max), limit+1/limit)
		}
		if int(limit) != before && opts.OnLimit != nil {
			opts.OnLimit(int(limit))
		}
		cond.Broadcast()
	}
	for i, j := range jobs {
		mu.Lock()
		for inflight >= int(limit) && ctx.Err() == nil {
			cond.Wait()
		}
		if ctx.Err() != nil {
			mu.Unlock()
			notStarted = jobs[i:]
			break
		}
		inflight++
		seen := opts.Throttles()
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer finish(seen)
			fn(ctx, j)
		}()
	}
	wg.Wait()
	return notStarted
}

// Breaker stops a run when every account it reaches fails: once the
// account-regions finished since the last success failed in Accounts
// distinct accounts, Record trips it. An outage, revoked credentials or
// a role missing everywhere then ends the run in seconds instead of
// failing each target on its own.
type Breaker struct {
	// Accounts is how many distinct accounts must fail in a row.
	Accounts int

	mu      sync.Mutex
	failing map[string]bool
	tripped error
}

// DefaultBreakerAccounts is how many accounts must fail, with no success
// in between, before a run stops.
const DefaultBreakerAccounts = 5

// NewBreaker returns a breaker for a run over accounts accounts.
func NewBreaker(accounts int) *Breaker {
	return &Breaker{Accounts: max(1, min(DefaultBreakerAccounts, accounts)), failing: map[string]bool{}}
}

// Record notes the outcome of one account-region and reports whether the
// breaker is (now) open.
func (b *Breaker) Record(account string, err error) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tripped != nil {
		return true
	}
	if err == nil {
		clear(b.failing)
		return false
	}
	b.failing[account] = true
	if len(b.failing) >= b.Accounts {
		b.tripped = fmt.Errorf("stopped after every account-region in %d accounts in a row failed; the last: %w", len(b.failing), err)
		return true
	}
	return false
}

// Err is why the breaker opened, or nil.
func (b *Breaker) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tripped
}
