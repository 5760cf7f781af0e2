package awsorg

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// Defaults of the client factory.
const (
	// DefaultRole is the role Organizations creates in every account it creates.
	DefaultRole = "OrganizationAccountAccessRole"
	// DefaultAccountRate is the request rate of one service in one account
	// and region. SSM's quotas are per account and region; staying well
	// below them leaves the workloads in the account theirs.
	// https://docs.aws.amazon.com/general/latest/gr/ssm.html#limits_ssm
	DefaultAccountRate = 10 // requests per second
	// AccountBurst lets the few calls of one account-region start together.
	AccountBurst = 5
	// STSRate paces AssumeRole, which counts against the calling
	// (management) account's STS request quota, shared with everything
	// else that account runs: 1,000 accounts take 10 s of it.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
	STSRate  = 100
	STSBurst = 20
	// IdentityCenterRate keeps every Identity Center API together under the
	// 20 calls a second they share, with a margin for other callers.
	// https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html
	IdentityCenterRate = 15
	// DefaultMaxAttempts per call, with the standard retryer's backoff.
	DefaultMaxAttempts = 10
	// MaxBackoff bounds one retry delay.
	MaxBackoff = 20 * time.Second
	// ConnectAttempts bounds the attempts of a call whose endpoint cannot
	// be reached (connection refused, no route, DNS failure): a service
	// that is down for a whole run is reported in seconds, not retried for
	// minutes.
	ConnectAttempts = 3
	// ConnectBackoff bounds one retry delay after a connection failure.
	ConnectBackoff = time.Second
	// CredentialsExpiryWindow refreshes assumed-role credentials this long
	// before they expire.
	CredentialsExpiryWindow = 5 * time.Minute
	// MaxIdleConnsPerHost keeps connections open for as many concurrent
	// calls to one endpoint as the pool may run.
	MaxIdleConnsPerHost = DefaultMaxConcurrency
	sessionName         = "ssm-runas"
)

// Retry describes one call about to be retried.
type Retry struct {
	// Service and Account/Region name the client; Account is "" for the
	// management account.
	Service, Account, Region string
	// Attempt is the attempt that failed, from 1.
	Attempt int
	Delay   time.Duration
	Err     error
	// Throttled is set when the service asked to slow down.
	Throttled bool
}

// FactoryOptions tune a Factory; zero values take the defaults.
type FactoryOptions struct {
	// Role is assumed in every member account, default DefaultRole.
	Role string
	// AccountRate is the request rate of one service in one account and
	// region, default DefaultAccountRate.
	AccountRate float64
	// MaxAttempts per call, default DefaultMaxAttempts.
	MaxAttempts int
	// MaxBackoff bounds one retry delay, default MaxBackoff.
	MaxBackoff time.Duration
	// OnRetry, when set, is told about every retry (from many goroutines).
	OnRetry func(Retry)
}

// Factory makes AWS clients: management-account clients from the base
// configuration, member-account clients from one assumed role per account
// with cached credentials, each client with its own standard retryer (and
// so its own retry token bucket), each service in each account and region
// under its own rate limit, Identity Center under one shared limit.
type Factory struct {
	base       aws.Config
	management string
	opts       FactoryOptions
	throttles  atomic.Uint64
	latency    latency

	mu       sync.Mutex
	creds    map[string]aws.CredentialsProvider
	limiters map[string]*rate.Limiter
	ic       *rate.Limiter
	sts      *sts.Client
}

// NewFactory returns a factory over base, whose credentials are the
// management account's (or a delegated administrator's).
func NewFactory(base aws.Config, managementAccount string, opts FactoryOptions) *Factory {
	if opts.Role == "" {
		opts.Role = DefaultRole
	}
	if opts.AccountRate == 0 {
		opts.AccountRate = DefaultAccountRate
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = MaxBackoff
	}
	base = base.Copy()
	base.HTTPClient = pooledHTTPClient(base.HTTPClient)
	return &Factory{
		base: base, management: managementAccount, opts: opts,
		creds:    map[string]aws.CredentialsProvider{},
		limiters: map[string]*rate.Limiter{},
		ic:       rate.NewLimiter(IdentityCenterRate, 1),
	}
}

// pooledHTTPClient keeps enough idle connections per host for the pool;
// the SDK's default keeps 10, so a wide pool would reconnect constantly.
func pooledHTTPClient(c aws.HTTPClient) aws.HTTPClient {
	switch b := c.(type) {
	case nil:
		return awshttp.NewBuildableClient().WithTransportOptions(widen)
	case *awshttp.BuildableClient:
		return b.WithTransportOptions(widen)
	}
	return c
}

func widen(t *http.Transport) {
	t.MaxIdleConns = max(t.MaxIdleConns, 4*MaxIdleConnsPerHost)
	t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, MaxIdleConnsPerHost)
}

// Management is the account whose credentials the factory starts from.
func (f *Factory) Management() string { return f.management }

// RoleARN is the role assumed in account.
func (f *Factory) RoleARN(account string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", account, f.opts.Role)
}

// Latency returns the recent time of one call (a moving average over the
// last calls of every client) and the lowest that average has been: the
// worker pool narrows when the first climbs well above the second, which
// is what a service (or a network) that is queueing the calls looks like.
func (f *Factory) Latency() (recent, base time.Duration) { return f.latency.get() }

// latency keeps a moving average of call times and its minimum.
type latency struct {
	mu         sync.Mutex
	ewma, base float64 // seconds
	n          int
}

// latencySamples is how many calls the average needs before its minimum
// counts as the base.
const latencySamples = 20

func (l *latency) observe(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	x := d.Seconds()
	if l.n == 0 {
		l.ewma = x
	} else {
		l.ewma = 0.9*l.ewma + 0.1*x
	}
	l.n++
	if l.n >= latencySamples && (l.base == 0 || l.ewma < l.base) {
		l.base = l.ewma
	}
}

func (l *latency) get() (recent, base time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Duration(l.ewma * float64(time.Second)), time.Duration(l.base * float64(time.Second))
}

// Throttles counts the calls any client of the factory saw throttled; the
// worker pool backs off when it grows.
func (f *Factory) Throttles() uint64 { return f.throttles.Load() }

// config returns the configuration of service in account and region.
func (f *Factory) config(service, account, region string) aws.Config {
	cfg := f.base.Copy()
	cfg.Region = region
	f.retries(&cfg, service, account, region)
	if account == "" || account == f.management {
		return cfg
	}
	cfg.Credentials = f.credentials(account)
	return cfg
}

// credentials returns account's assumed-role credentials, one provider
// (and so one AssumeRole until they near expiry) per account.
func (f *Factory) credentials(account string) aws.CredentialsProvider {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.creds[account]; ok {
		return p
	}
	if f.sts == nil {
		stsCfg := f.base.Copy()
		f.retries(&stsCfg, "sts", "", stsCfg.Region)
		l := rate.NewLimiter(STSRate, STSBurst)
		f.sts = sts.NewFromConfig(stsCfg, func(o *sts.Options) { o.APIOptions = append(o.APIOptions, f.rateLimit(l)) })
	}
	p := aws.NewCredentialsCache(
		stscreds.NewAssumeRoleProvider(f.sts, f.RoleARN(account), func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = sessionName
		}),
		func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = CredentialsExpiryWindow },
	)
	f.creds[account] = p
	return p
}

// retries gives cfg a retryer of its own. A RetryMaxAttempts or RetryMode
// in the base configuration (AWS_MAX_ATTEMPTS, a profile) would otherwise
// wrap it and cap the attempts.
func (f *Factory) retries(cfg *aws.Config, service, account, region string) {
	cfg.Retryer = func() aws.Retryer {
		return &retryer{
			RetryerV2: retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = f.opts.MaxAttempts
				o.MaxBackoff = f.opts.MaxBackoff
			}),
			f: f, service: service, account: account, region: region,
		}
	}
	cfg.RetryMaxAttempts = f.opts.MaxAttempts
	cfg.RetryMode = aws.RetryModeStandard
}

// limiter returns the limiter of service in account and region.
func (f *Factory) limiter(service, account, region string) *rate.Limiter {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := service + "/" + account + "/" + region
	l, ok := f.limiters[key]
	if !ok {
		l = rate.NewLimiter(rate.Limit(f.opts.AccountRate), AccountBurst)
		f.limiters[key] = l
	}
	return l
}

// rateLimit makes every attempt of every call wait for l, and times the
// attempts that succeed (after the wait) for Latency. It sits after the
// retry middleware, so retries are paced too.
func (f *Factory) rateLimit(l *rate.Limiter) func(*middleware.Stack) error {
	mw := middleware.FinalizeMiddlewareFunc("ssm-runas-rate-limit", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		if err := l.Wait(ctx); err != nil {
			return middleware.FinalizeOutput{}, middleware.Metadata{}, err
		}
		start := time.Now()
		out, md, err := next.HandleFinalize(ctx, in)
		if err == nil {
			f.latency.observe(time.Since(start))
		}
		return out, md, err
	})
	return func(stack *middleware.Stack) error { return stack.Finalize.Add(mw, middleware.After) }
}

func (f *Factory) management0(account string) string {
	if account == f.management {
		return ""
	}
	return account
}

// SSM is the SSM client of account in region.
func (f *Factory) SSM(account, region string) *ssm.Client {
	account = f.management0(account)
	l := f.limiter("ssm", account, region)
	return ssm.NewFromConfig(f.config("ssm", account, region), func(o *ssm.Options) { o.APIOptions = append(o.APIOptions, f.rateLimit(l)) })
}

// IAM is the IAM client of account. IAM is global; its calls go to the
// partition's one endpoint whatever region the base configuration names.
func (f *Factory) IAM(account string) *iam.Client {
	account = f.management0(account)
	l := f.limiter("iam", account, "")
	return iam.NewFromConfig(f.config("iam", account, f.base.Region), func(o *iam.Options) { o.APIOptions = append(o.APIOptions, f.rateLimit(l)) })
}

// Lambda is the Lambda client of account in region.
func (f *Factory) Lambda(account, region string) *lambda.Client {
	account = f.management0(account)
	l := f.limiter("lambda", account, region)
	return lambda.NewFromConfig(f.config("lambda", account, region), func(o *lambda.Options) { o.APIOptions = append(o.APIOptions, f.rateLimit(l)) })
}

// EC2 is the EC2 client of account in region.
func (f *Factory) EC2(account, region string) *ec2.Client {
	account = f.management0(account)
	l := f.limiter("ec2", account, region)
	return ec2.NewFromConfig(f.config("ec2", account, region), func(o *ec2.Options) { o.APIOptions = append(o.APIOptions, f.rateLimit(l)) })
}

// Credentials are the credentials the factory's clients use in account:
// the base ones in the management account, else the assumed role's.
func (f *Factory) Credentials(account string) aws.CredentialsProvider {
	if account = f.management0(account); account == "" {
		return f.base.Credentials
	}
	return f.credentials(account)
}

// Organizations is the management account's Organizations client.
func (f *Factory) Organizations() *organizations.Client {
	l := f.limiter("organizations", "", f.base.Region)
	return organizations.NewFromConfig(f.config("organizations", "", f.base.Region), func(o *organizations.Options) { o.APIOptions = append(o.APIOptions, f.rateLimit(l)) })
}

// CloudFormation is the management account's CloudFormation client in region.
func (f *Factory) CloudFormation(region string) *cloudformation.Client {
	l := f.limiter("cloudformation", "", region)
	return cloudformation.NewFromConfig(f.config("cloudformation", "", region), func(o *cloudformation.Options) { o.APIOptions = append(o.APIOptions, f.rateLimit(l)) })
}

// IdentityStore is the identity store client, under the Identity Center limit.
func (f *Factory) IdentityStore(region string) *identitystore.Client {
	return identitystore.NewFromConfig(f.config("identitystore", "", region), func(o *identitystore.Options) { o.APIOptions = append(o.APIOptions, f.rateLimit(f.ic)) })
}

// SSOAdmin is the Identity Center admin client, under the Identity Center limit.
func (f *Factory) SSOAdmin(region string) *ssoadmin.Client {
	return ssoadmin.NewFromConfig(f.config("sso-admin", "", region), func(o *ssoadmin.Options) { o.APIOptions = append(o.APIOptions, f.rateLimit(f.ic)) })
}

// Account is the Account Management client, for opted-in regions.
func (f *Factory) Account() *account.Client {
	l := f.limiter("account", "", f.base.Region)
	return account.NewFromConfig(f.config("account", "", f.base.Region), func(o *account.Options) { o.APIOptions = append(o.APIOptions, f.rateLimit(l)) })
}
