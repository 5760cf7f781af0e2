package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/awsorg"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// setupOptions say which shared flags a command takes.
type setupOptions struct {
	// Outputs are the allowed --output values, the first the default; nil
	// registers no --output flag.
	Outputs []string
	// Timeout is the default of --timeout; 0 registers no --timeout flag
	// (the context then ends only on a signal).
	Timeout time.Duration
	// AWS registers the flags of commands that read the organization:
	// --endpoint-url, --role, --concurrency, --regions, --quiet.
	AWS bool
}

// setup is the setup every command repeats: --config, --output, --timeout,
// interruption by SIGINT or SIGTERM, and for AWS commands the clients.
//
//	s := newSetup(cmd, setupOptions{Outputs: []string{"table", "json"}, Timeout: 30 * time.Minute, AWS: true})
//	RunE: ctx, c, src, done, err := s.beginAWS(cmd); if err != nil { return err }; defer done()
//	      (commands without AWS: ctx, c, done, err := s.begin(cmd))
type setup struct {
	opts       setupOptions
	configPath string
	output     string
	timeout    time.Duration
	aws        awsFlags
	msgs       *messages
	// factory makes the AWS clients of the run, once sources built them.
	factory *awsorg.Factory
}

// awsFlags are the flags of the commands that read the organization.
type awsFlags struct {
	endpointURL string
	role        string
	concurrency int
	regions     string
	quiet       bool
}

// newSetup registers the shared flags on cmd.
func newSetup(cmd *cobra.Command, opts setupOptions) *setup {
	s := &setup{opts: opts}
	configFlag(cmd, &s.configPath)
	f := cmd.Flags()
	if len(opts.Outputs) > 0 {
		f.StringVarP(&s.output, "output", "o", opts.Outputs[0], orList(opts.Outputs))
	}
	if opts.Timeout > 0 {
		f.DurationVar(&s.timeout, "timeout", opts.Timeout, "give up after this long (the report then holds what was checked)")
	}
	if opts.AWS {
		a := &s.aws
		f.StringVar(&a.endpointURL, "endpoint-url", "", "send every AWS call to this endpoint (e.g. a local moto_server)")
		f.StringVar(&a.role, "role", awsorg.DefaultRole, "role assumed in each member account")
		f.IntVar(&a.concurrency, "concurrency", awsorg.DefaultMaxConcurrency, "most account-regions in flight; the pool starts lower, grows while calls succeed and halves on throttling")
		f.StringVar(&a.regions, "regions", string(audit.RegionsConfigured), "configured (organization.regions) or enabled (each account's enabled regions)")
		f.BoolVarP(&a.quiet, "quiet", "q", false, "no progress and no retry messages on stderr")
	}
	return s
}

// begin checks the flags, loads the configuration, and returns a context
// that ends at --timeout or at the first SIGINT or SIGTERM, its cause
// saying which. After the first signal the default handling returns, so
// a second one ends the process at once. done releases the context.
func (s *setup) begin(cmd *cobra.Command) (ctx context.Context, c *settings.Config, done func(), err error) {
	if len(s.opts.Outputs) > 0 {
		if err := checkOutput(s.output, s.opts.Outputs...); err != nil {
			return nil, nil, nil, err
		}
	}
	if s.opts.AWS {
		if err := s.aws.check(); err != nil {
			return nil, nil, nil, err
		}
	}
	if s.opts.Timeout > 0 && s.timeout <= 0 {
		return nil, nil, nil, &exitError{code: exitUsage, err: fmt.Errorf("--timeout %s: must be positive", s.timeout)}
	}
	if c, err = loadConfig(cmd, s.configPath); err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithCancelCause(cmd.Context())
	release := func() {}
	if s.timeout > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeoutCause(ctx, s.timeout, fmt.Errorf("--timeout %s reached", s.timeout))
		release = stop
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	quit := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			signal.Stop(sigs)
			cancel(fmt.Errorf("interrupted by %s", sig))
		case <-quit:
		}
	}()
	var once sync.Once
	return ctx, c, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(quit)
			release()
			cancel(nil)
		})
	}, nil
}

// beginAWS is begin followed by sources, for the commands that read the
// organization; done releases the context.
func (s *setup) beginAWS(cmd *cobra.Command) (ctx context.Context, c *settings.Config, src audit.Sources, done func(), err error) {
	ctx, c, done, err = s.begin(cmd)
	if err != nil {
		return nil, nil, audit.Sources{}, nil, err
	}
	if src, err = s.sources(ctx, cmd, c); err != nil {
		done()
		return nil, nil, audit.Sources{}, nil, err
	}
	return ctx, c, src, done, nil
}

func (a *awsFlags) check() error {
	if a.concurrency < 1 {
		return &exitError{code: exitUsage, err: fmt.Errorf("--concurrency %d: must be at least 1", a.concurrency)}
	}
	if m := audit.RegionMode(a.regions); m != audit.RegionsConfigured && m != audit.RegionsEnabled {
		return &exitError{code: exitUsage, err: fmt.Errorf("--regions %q: must be configured or enabled", a.regions)}
	}
	return nil
}

// sources builds the AWS clients from the environment's credentials, which
// must be the management account's (or a delegated administrator's).
// Retries are reported on stderr unless --quiet.
func (s *setup) sources(ctx context.Context, cmd *cobra.Command, c *settings.Config) (audit.Sources, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(c.Organization.HomeRegion)}
	if s.aws.endpointURL != "" {
		opts = append(opts, awsconfig.WithBaseEndpoint(s.aws.endpointURL))
	}
	base, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return audit.Sources{}, problem(fmt.Errorf("loading AWS credentials: %w", err))
	}
	fo := awsorg.FactoryOptions{Role: s.aws.role}
	if !s.aws.quiet {
		fo.OnRetry = s.stderr(cmd).retry
	}
	f := awsorg.NewFactory(base, c.Organization.ManagementAccountID, fo)
	s.factory = f
	return audit.FromFactory(f, c, audit.RegionMode(s.aws.regions)), nil
}

// stderr is the command's message stream, shared by the progress line
// and retry notices.
func (s *setup) stderr(cmd *cobra.Command) *messages {
	if s.msgs == nil {
		s.msgs = newMessages(cmd.ErrOrStderr(), !s.aws.quiet)
	}
	return s.msgs
}

// messages writes progress and retry notices to stderr without tearing
// each other: progress only on a terminal, redrawn in place; notices on
// lines of their own, at most one every retryNoticeEvery.
type messages struct {
	w        io.Writer
	terminal bool
	on       bool

	mu        sync.Mutex
	drawn     bool
	lastDraw  time.Time
	lastRetry time.Time
	retries   int
}

// retryNoticeEvery spaces retry notices.
const retryNoticeEvery = 5 * time.Second

func newMessages(w io.Writer, on bool) *messages {
	f, ok := w.(*os.File)
	return &messages{w: w, on: on, terminal: ok && term.IsTerminal(int(f.Fd()))}
}

// retry notes one retry and, at most every retryNoticeEvery, says on a
// line of its own what is being retried.
func (m *messages) retry(r awsorg.Retry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.retries++
	if !m.lastRetry.IsZero() && time.Since(m.lastRetry) < retryNoticeEvery {
		return
	}
	m.lastRetry = time.Now()
	where := r.Service
	if r.Account != "" {
		where += " in " + r.Account + "/" + r.Region
	} else {
		where += " in " + r.Region
	}
	m.clearLine()
	fmt.Fprintf(m.w, "retrying %s (attempt %d, next in %s; %d retries so far): %s\n", where, r.Attempt, r.Delay.Round(time.Millisecond), m.retries, oneLineErr(r.Err))
}

// progress redraws the progress line, on a terminal only.
func (m *messages) progress(p audit.Progress) {
	if !m.on || !m.terminal || p.Targets == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if p.TargetsDone != p.Targets && time.Since(m.lastDraw) < 100*time.Millisecond {
		return
	}
	m.lastDraw, m.drawn = time.Now(), true
	fmt.Fprintf(m.w, "\r\x1b[Kaccounts %d/%d, account-regions %d/%d, findings %d", p.AccountsDone, p.Accounts, p.TargetsDone, p.Targets, p.Findings)
}

// done ends the progress line.
func (m *messages) done() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clearLine()
}

func (m *messages) clearLine() {
	if m.drawn {
		fmt.Fprint(m.w, "\r\x1b[K")
		m.drawn = false
	}
}

func oneLineErr(err error) string {
	if err == nil {
		return ""
	}
	s := []rune(err.Error())
	for i, r := range s {
		if r == '\n' || r == '\r' {
			s[i] = ' '
		}
	}
	return string(s)
}
