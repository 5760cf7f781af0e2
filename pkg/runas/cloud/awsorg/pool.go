package awsorg

import (
	"context"
	"fmt"
	"sync"
	"time"
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
	// CongestionFactor: calls taking this many times their lowest recent
	// time mean the endpoint is queueing them; the pool narrows.
	CongestionFactor = 3
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
	// Latency reads the recent and the lowest call time (Factory.Latency).
	// When the recent one is CongestionFactor times the lowest, the pool
	// narrows by a quarter instead of growing.
	Latency func() (recent, base time.Duration)
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
// round once they have pushed back), halves when a job saw throttling,
// and narrows by a quarter when calls queue (Latency), each at most once
// a round. It stops starting jobs when ctx ends and
// returns the jobs it never started; every other job has run to its end.
func Each(ctx context.Context, jobs []Job, opts PoolOptions, fn func(context.Context, Job)) (notStarted []Job) {
	opts = opts.withDefaults()
	var (
		mu        sync.Mutex
		cond      = sync.NewCond(&mu)
		limit     = float64(opts.Start)
		inflight  int
		slowStart = true
		round     uint64 // bumped at each cut; a job cuts only in its own round
		wg        sync.WaitGroup
	)
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		cond.Broadcast()
		mu.Unlock()
	})
	defer stop()
	finish := func(seen, started uint64) {
		mu.Lock()
		defer mu.Unlock()
		inflight--
		before := int(limit)
		throttled := opts.Throttles() > seen
		congested := false
		if opts.Latency != nil {
			recent, base := opts.Latency()
			congested = base > 0 && recent > CongestionFactor*base
		}
		switch {
		case throttled || congested:
			if started == round {
				factor := 0.75
				if throttled {
					factor = 0.5
				}
				limit = max(float64(MinConcurrency), limit*factor)
				slowStart = false
				round++
			}
		case slowStart:
			limit = min(float64(opts.Max), limit+1)
		default:
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
		seen, started := opts.Throttles(), round
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer finish(seen, started)
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
