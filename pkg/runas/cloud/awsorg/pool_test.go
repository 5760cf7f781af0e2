package awsorg_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/awsorg"
)

func jobs(n int) []awsorg.Job {
	out := make([]awsorg.Job, n)
	for i := range out {
		out[i] = awsorg.Job{Account: fmt.Sprintf("%012d", i/3), Region: fmt.Sprintf("r-%d", i%3)}
	}
	return out
}

// recorder counts runs per job and the bounds the pool announces.
type recorder struct {
	mu     sync.Mutex
	runs   map[awsorg.Job]int
	limits []int
}

func (r *recorder) run(j awsorg.Job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.runs == nil {
		r.runs = map[awsorg.Job]int{}
	}
	r.runs[j]++
}

func (r *recorder) limit(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.limits = append(r.limits, n)
}

func TestEachRunsEveryJobOnceAndGrows(t *testing.T) {
	var rec recorder
	all := jobs(300)
	left := awsorg.Each(context.Background(), all, awsorg.PoolOptions{Max: 64, OnLimit: rec.limit}, func(_ context.Context, j awsorg.Job) { rec.run(j) })
	assert.Empty(t, left)
	require.Len(t, rec.runs, len(all), "every job runs")
	for j, n := range rec.runs {
		assert.Equal(t, 1, n, "job %s ran %d times", j, n)
	}
	require.NotEmpty(t, rec.limits)
	assert.Equal(t, 64, rec.limits[len(rec.limits)-1], "without throttling the bound grows to the maximum")
	assert.Equal(t, awsorg.DefaultStartConcurrency+1, rec.limits[0], "the bound starts at the start value and grows by one a job")
}

func TestEachHalvesOnThrottling(t *testing.T) {
	var rec recorder
	var throttles atomic.Uint64
	all := jobs(200)
	var n atomic.Int64
	left := awsorg.Each(context.Background(), all, awsorg.PoolOptions{Max: 32, Start: 32, OnLimit: rec.limit, Throttles: throttles.Load},
		func(_ context.Context, j awsorg.Job) {
			rec.run(j)
			if n.Add(1) == 50 {
				throttles.Add(1) // this job saw a throttled call
			}
		})
	assert.Empty(t, left)
	assert.Len(t, rec.runs, len(all), "no job is lost to throttling")
	require.NotEmpty(t, rec.limits)
	assert.Equal(t, 16, rec.limits[0], "one throttled job halves the bound once")
	for _, l := range rec.limits {
		assert.GreaterOrEqual(t, l, awsorg.MinConcurrency)
		assert.LessOrEqual(t, l, 32)
	}
}

func TestEachStopsStartingWhenCancelled(t *testing.T) {
	var rec recorder
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	all := jobs(100)
	var n atomic.Int64
	left := awsorg.Each(ctx, all, awsorg.PoolOptions{Max: 1}, func(_ context.Context, j awsorg.Job) {
		rec.run(j)
		if n.Add(1) == 10 {
			cancel()
		}
	})
	assert.Len(t, rec.runs, 10, "one job at a time: none starts after the tenth cancels")
	assert.Len(t, left, 90)
	for _, j := range left {
		assert.Zero(t, rec.runs[j], "%s both ran and was returned as not started", j)
	}
}

func TestBreaker(t *testing.T) {
	down := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	t.Run("trips when every account in a row fails", func(t *testing.T) {
		b := awsorg.NewBreaker(100)
		for i := range awsorg.DefaultBreakerAccounts - 1 {
			assert.False(t, b.Record(fmt.Sprint(i), down))
			assert.False(t, b.Record(fmt.Sprint(i), down), "a second region of the same account is not another account")
		}
		assert.True(t, b.Record("last", down))
		require.Error(t, b.Err())
		assert.ErrorIs(t, b.Err(), down)
		assert.True(t, b.Record("later", nil), "once open it stays open")
	})
	t.Run("a success resets it", func(t *testing.T) {
		b := awsorg.NewBreaker(100)
		for i := range 20 {
			b.Record(fmt.Sprint(i), down)
			if i%3 == 0 {
				b.Record("ok", nil)
			}
		}
		assert.NoError(t, b.Err())
	})
	t.Run("a small organization needs fewer accounts", func(t *testing.T) {
		b := awsorg.NewBreaker(2)
		assert.False(t, b.Record("a", down))
		assert.True(t, b.Record("b", down))
	})
}

// TestEachNarrowsWhenCallsQueue: calls taking several times their lowest
// time mean the endpoint is queueing them; the pool stops growing and
// narrows by a quarter a round, without losing a job.
func TestEachNarrowsWhenCallsQueue(t *testing.T) {
	var rec recorder
	var n atomic.Int64
	latency := func() (time.Duration, time.Duration) {
		if n.Load() > 100 {
			return 100 * time.Millisecond, 10 * time.Millisecond
		}
		return 12 * time.Millisecond, 10 * time.Millisecond
	}
	// Enough jobs that narrowing to the minimum cannot run out of them,
	// however the goroutines are scheduled: at most 100+256 start before
	// the calls queue, and each round of narrowing starts at most its own
	// limit before one of its jobs finishes and cuts, 256*(1+3/4+...) =
	// 1024 in all.
	all := jobs(2000)
	left := awsorg.Each(context.Background(), all, awsorg.PoolOptions{Max: 256, Start: 16, OnLimit: rec.limit, Latency: latency},
		func(_ context.Context, j awsorg.Job) {
			n.Add(1)
			rec.run(j)
		})
	assert.Empty(t, left)
	assert.Len(t, rec.runs, len(all), "no job is lost")
	require.NotEmpty(t, rec.limits)
	peak := 0
	for _, l := range rec.limits {
		peak = max(peak, l)
		assert.GreaterOrEqual(t, l, awsorg.MinConcurrency)
	}
	last := rec.limits[len(rec.limits)-1]
	assert.Less(t, last, peak, "queueing calls narrow the pool")
	assert.Equal(t, awsorg.MinConcurrency, last, "and keep narrowing while they queue")
}
