package audit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
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
	// DefaultAccountRate keeps an audit well below SSM's per-account API
	// quotas, so workloads in the account keep theirs.
	DefaultAccountRate = 10 // requests per second per account
	// IdentityCenterRate stays under the 20 calls a second all Identity
	// Center APIs share.
	IdentityCenterRate = 15
	// DefaultMaxAttempts per call, with the standard retryer's backoff.
	DefaultMaxAttempts = 10
	// MaxBackoff bounds one retry delay.
	MaxBackoff = 20 * time.Second
	// CredentialsExpiryWindow refreshes assumed-role credentials this long
	// before they expire.
	CredentialsExpiryWindow = 5 * time.Minute
	sessionName             = "ssm-runas-audit"
)

// FactoryOptions tune a Factory; zero values take the defaults.
type FactoryOptions struct {
	// Role is assumed in every member account, default DefaultRole.
	Role string
	// AccountRate is the per-account request rate, default DefaultAccountRate.
	AccountRate float64
	// MaxAttempts per call, default DefaultMaxAttempts.
	MaxAttempts int
	// MaxBackoff bounds one retry delay, default MaxBackoff.
	MaxBackoff time.Duration
}

// Factory makes AWS clients: management-account clients from the base
// configuration, member-account clients from one assumed role per account
// with cached credentials, each client with its own standard retryer (and
// so its own retry token bucket), each account under its own rate limit.
type Factory struct {
	base       aws.Config
	management string
	opts       FactoryOptions

	mu       sync.Mutex
	creds    map[string]aws.CredentialsProvider
	limiters map[string]*rate.Limiter
	ic       *rate.Limiter
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
	return &Factory{
		base: base, management: managementAccount, opts: opts,
		creds:    map[string]aws.CredentialsProvider{},
		limiters: map[string]*rate.Limiter{},
		ic:       rate.NewLimiter(IdentityCenterRate, 1),
	}
}

// RoleARN is the role assumed in account.
func (f *Factory) RoleARN(account string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", account, f.opts.Role)
}

func (f *Factory) newRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = f.opts.MaxAttempts
		o.MaxBackoff = f.opts.MaxBackoff
	})
}

// retries gives cfg the factory's retryer. A RetryMaxAttempts or
// RetryMode in the base configuration (AWS_MAX_ATTEMPTS, a profile) would
// otherwise wrap it and cap the attempts.
func (f *Factory) retries(cfg *aws.Config) {
	cfg.Retryer = f.newRetryer
	cfg.RetryMaxAttempts = f.opts.MaxAttempts
	cfg.RetryMode = aws.RetryModeStandard
}

// config returns the configuration for account in region.
func (f *Factory) config(account, region string) aws.Config {
	cfg := f.base.Copy()
	cfg.Region = region
	f.retries(&cfg)
	if account == "" || account == f.management {
		return cfg
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.creds[account]
	if !ok {
		stsCfg := f.base.Copy()
		f.retries(&stsCfg)
		l := f.limiter(account)
		stsClient := sts.NewFromConfig(stsCfg, func(o *sts.Options) { o.APIOptions = append(o.APIOptions, rateLimit(l)) })
		p = aws.NewCredentialsCache(
			stscreds.NewAssumeRoleProvider(stsClient, f.RoleARN(account), func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = sessionName
			}),
			func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = CredentialsExpiryWindow },
		)
		f.creds[account] = p
	}
	cfg.Credentials = p
	return cfg
}

// limiter returns account's limiter; the caller holds f.mu or is the only user.
func (f *Factory) limiter(account string) *rate.Limiter {
	l, ok := f.limiters[account]
	if !ok {
		l = rate.NewLimiter(rate.Limit(f.opts.AccountRate), 1)
		f.limiters[account] = l
	}
	return l
}

func (f *Factory) accountLimiter(account string) *rate.Limiter {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.limiter(account)
}

// rateLimit makes every attempt of every call wait for l. It sits after
// the retry middleware, so retries are paced too.
func rateLimit(l *rate.Limiter) func(*middleware.Stack) error {
	mw := middleware.FinalizeMiddlewareFunc("ssm-runas-rate-limit", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		if err := l.Wait(ctx); err != nil {
			return middleware.FinalizeOutput{}, middleware.Metadata{}, err
		}
		return next.HandleFinalize(ctx, in)
	})
	return func(stack *middleware.Stack) error { return stack.Finalize.Add(mw, middleware.After) }
}

// SSM is the SSM client of account in region.
func (f *Factory) SSM(account, region string) *ssm.Client {
	l := f.accountLimiter(account)
	return ssm.NewFromConfig(f.config(account, region), func(o *ssm.Options) { o.APIOptions = append(o.APIOptions, rateLimit(l)) })
}

// Organizations is the management account's Organizations client.
func (f *Factory) Organizations() *organizations.Client {
	l := f.accountLimiter(f.management)
	return organizations.NewFromConfig(f.config("", f.base.Region), func(o *organizations.Options) { o.APIOptions = append(o.APIOptions, rateLimit(l)) })
}

// CloudFormation is the management account's CloudFormation client in region.
func (f *Factory) CloudFormation(region string) *cloudformation.Client {
	l := f.accountLimiter(f.management)
	return cloudformation.NewFromConfig(f.config("", region), func(o *cloudformation.Options) { o.APIOptions = append(o.APIOptions, rateLimit(l)) })
}

// IdentityStore is the identity store client, under the Identity Center limit.
func (f *Factory) IdentityStore(region string) *identitystore.Client {
	return identitystore.NewFromConfig(f.config("", region), func(o *identitystore.Options) { o.APIOptions = append(o.APIOptions, rateLimit(f.ic)) })
}

// SSOAdmin is the Identity Center admin client, under the Identity Center limit.
func (f *Factory) SSOAdmin(region string) *ssoadmin.Client {
	return ssoadmin.NewFromConfig(f.config("", region), func(o *ssoadmin.Options) { o.APIOptions = append(o.APIOptions, rateLimit(f.ic)) })
}

// Account is the Account Management client, for opted-in regions.
func (f *Factory) Account() *account.Client {
	l := f.accountLimiter(f.management)
	return account.NewFromConfig(f.config("", f.base.Region), func(o *account.Options) { o.APIOptions = append(o.APIOptions, rateLimit(l)) })
}
